"""Running the installed ``isr-desk`` against the fixture sites, and judging what it said.

A case of the compatibility matrix (docs/compatibility.md) is: a profile made by ``isr-desk
site add`` (secret in the real keyring), one ``isr-desk revalidate`` run, then GETs of the page
until it shows the test's own edit. "Refreshed" counts only when the page really changed:
:func:`assert_truthful` fails a run that reports success while the page stays the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.nextjs import NextSite, Page

ISR_DESK = Path(sys.executable).with_name("isr-desk")
JsonObject = dict[str, Any]
# How long a run that claimed success gets before its page counts as unchanged.
NO_OP_WINDOW = 8.0


def isr_desk(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ISR_DESK), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=90,
        env=dict(os.environ),
        check=False,
    )


@dataclass
class Run:
    """One ``isr-desk revalidate ... --json`` run: exit status, results, verdicts, summary."""

    done: subprocess.CompletedProcess[str]
    results: list[JsonObject] = field(default_factory=list)
    verdicts: list[JsonObject] = field(default_factory=list)
    summary: JsonObject = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        """Nothing was sent: a clear error (exit 2) or every result not sent/failed."""
        return self.done.returncode == 2 or not any(r["ok"] for r in self.results)

    def describe(self) -> str:
        return (
            f"exit {self.done.returncode}\nstdout:\n{self.done.stdout}\nstderr:\n{self.done.stderr}"
        )


def revalidate(name: str, *args: str) -> Run:
    done = isr_desk("revalidate", name, *args, "--json")
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    run = Run(done)
    if done.returncode == 2:
        # A refusal: one clear line, no results.
        assert done.stderr.strip(), "exit 2 without a message"
        assert len(done.stderr.strip().splitlines()) <= 3, done.stderr
        return run
    assert done.returncode in (0, 1), run.describe()
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert lines, run.describe()
    assert "summary" in lines[-1], run.describe()
    run.summary = lines[-1]["summary"]
    run.verdicts = [line["verify"] for line in lines if "verify" in line]
    run.results = [line for line in lines[:-1] if "verify" not in line]
    return run


AddSite = Callable[..., str]


@pytest.fixture
def add_site(real_keyring: object, unique_name: str) -> Iterator[AddSite]:
    """``add_site(url, secret, *options)`` runs ``isr-desk site add`` (secret into the real
    keyring through ``--secret-stdin``); the sites are removed after the test."""
    added: list[str] = []

    def add(url: str, secret: str, *options: str) -> str:
        name = f"{unique_name}-{len(added)}"
        done = isr_desk("site", "add", name, "--url", url, *options, "--secret-stdin",
                        stdin=secret + "\n")  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert secret not in done.stdout + done.stderr
        added.append(name)
        return name

    yield add
    for name in added:
        isr_desk("site", "remove", name)


def edit(site: NextSite, slug: str, page: str, label: str) -> tuple[Page, str]:
    """Settle ``page`` (a fresh HIT), then change its post's title; returns (before, title)."""
    before = site.settle(page)
    title = site.edit_post(slug, title=site.unique(label))["title"]
    return before, title


def assert_refreshed(site: NextSite, page: str, title: str, *, first: str | None) -> list[Page]:
    """The page shows ``title``, and ``x-nextjs-cache`` went the way the docs say:
    ``first`` is the header of the first GET after the revalidation —
    ``MISS`` (regenerated while that GET waited: new content), ``HIT`` (regenerated inside the
    route, ``res.revalidate``: new content) or ``STALE`` (old content once, rebuilt in the
    background) — and the page ends as a ``HIT`` with the new content. ``first=None``: the
    run's own ``--verify`` already made that first GET (and saw the MISS)."""
    seen = site.wait_for(page, lambda p: p.title == title and p.cache == "HIT")
    assert seen[0].status == 200, seen[0]
    if first is None:
        return seen
    assert seen[0].cache == first, [(p.cache, p.title) for p in seen]
    if first == "STALE":
        assert seen[0].title != title, "a STALE answer carries the old page"
    else:
        assert seen[0].title == title, "the first answer after the purge is the new page"
    return seen


def changed_within(site: NextSite, page: str, title: str, window: float = NO_OP_WINDOW) -> bool:
    deadline = time.monotonic() + window
    while time.monotonic() < deadline:
        if site.page(page).title == title:
            return True
        time.sleep(0.1)  # a poll interval, not a wait for the condition
    return site.page(page).title == title


def assert_truthful(run: Run, sites: list[NextSite], page: str, title: str) -> str:
    """A form that used to be a silent no-op now either works (every instance's page shows
    ``title``) or is refused with a clear error; never success with an unchanged page.
    Returns "worked" or "refused"."""
    if run.refused:
        text = run.done.stderr + " ".join(str(r.get("error") or "") for r in run.results)
        assert text.strip(), f"refused without saying why: {run.describe()}"
        return "refused"
    unchanged = [site.url for site in sites if not changed_within(site, page, title)]
    claimed = [v for v in run.verdicts if v.get("verdict") == "regenerated"]
    assert not unchanged, (
        f"reported success but {page} did not change on {unchanged}; "
        f"verify said {[v.get('verdict') for v in run.verdicts]} ({len(claimed)} regenerated)\n"
        + run.describe()
    )
    # --verify fetched the public page (base path, slash, encoding), not a 404 of the form typed.
    assert all(v.get("verdict") != "failed" for v in run.verdicts), run.describe()
    return "worked"
