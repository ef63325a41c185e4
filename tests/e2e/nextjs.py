"""Real Next.js sites for the end-to-end tests: install, build (cached), start, stop, fetch.

Every site is a small npm project (``tests/e2e/next_site`` and ``tests/e2e/sites/<name>``)
with a pinned ``package.json`` and a committed lockfile. ``scripts/setup-e2e.sh`` installs the
npm packages (a no-op when a stamp matches); :func:`ensure_built` builds a site unless
``.next`` carries a stamp with the hash of its sources. A running site reads its posts from a
temp copy of ``data/posts.json`` (``DATA_FILE``) that the tests rewrite, and its revalidation
routes compare against ``REVALIDATE_SECRET``. Sites set ``isrFlushToDisk: false``: running
never changes the build, so one build serves every session.

Tests change the data with :meth:`NextSite.edit_post` and watch a page with
:meth:`NextSite.page` / :meth:`NextSite.settle` / :meth:`NextSite.wait_for`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import html
import json
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.sites import free_port

E2E_DIR = Path(__file__).parent
REPO_DIR = E2E_DIR.parents[1]
BUILD_STAMP = ".isr-desk-build-stamp"
# Never part of a site's sources: installed packages, build output, generated files.
_NOT_SOURCES = frozenset({"node_modules", ".next", "next-env.d.ts", "README.md"})
START_TIMEOUT = 60.0
BUILD_TIMEOUT = 420.0

_TITLE = re.compile(r'id="title">([^<]*)<')
_BODY = re.compile(r'id="body">([^<]*)<')
_GENERATED = re.compile(r'id="generated-at">([^<]*)<')


@dataclass(frozen=True)
class Page:
    """One GET of a page: status, the ISR cache header, ETag and the rendered fields."""

    status: int
    cache: str | None
    etag: str | None
    title: str | None
    body: str | None
    generated_at: str | None
    text: str

    @classmethod
    def from_response(cls, response: httpx.Response) -> Page:
        def field(pattern: re.Pattern[str]) -> str | None:
            match = pattern.search(response.text)
            return html.unescape(match.group(1)) if match else None

        return cls(
            status=response.status_code,
            cache=response.headers.get("x-nextjs-cache"),
            etag=response.headers.get("etag"),
            title=field(_TITLE),
            body=field(_BODY),
            generated_at=field(_GENERATED),
            text=response.text,
        )


@dataclass
class NextSite:
    """A running ``next start`` of a test site (one instance)."""

    url: str
    secret: str
    build_dir: Path
    data_file: Path
    log_file: Path
    client: httpx.Client

    def posts(self) -> list[dict[str, str]]:
        posts: list[dict[str, str]] = json.loads(self.data_file.read_text())["posts"]
        return posts

    def edit_post(self, slug: str, **fields: str) -> dict[str, str]:
        """Change a post in the data file (atomically); returns the post as now stored."""
        data = json.loads(self.data_file.read_text())
        (post,) = (item for item in data["posts"] if item["slug"] == slug)
        post.update(fields)
        self.write_data(json.dumps(data, indent=2, ensure_ascii=False))
        return dict(post)

    def write_data(self, text: str) -> None:
        tmp = self.data_file.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(self.data_file)

    @staticmethod
    def unique(label: str) -> str:
        """A title no earlier page showed, so a test knows its own edit when it sees it."""
        return f"{label} {uuid.uuid4().hex[:8]}"

    def page(self, path: str) -> Page:
        return Page.from_response(self.client.get(path))

    def revalidate(
        self, payload: Any, *, secret: str | None = None, bearer: bool = False
    ) -> httpx.Response:
        """POST the App Router route with the site's (or the given) secret."""
        token = self.secret if secret is None else secret
        if bearer:
            headers = {"Authorization": f"Bearer {token}"}
            return self.client.post("/api/revalidate", json=payload, headers=headers)
        return self.client.post("/api/revalidate", params={"secret": token}, json=payload)

    def wait_for(
        self, path: str, condition: Callable[[Page], bool], *, timeout: float = 30.0
    ) -> list[Page]:
        """GET ``path`` until ``condition`` holds (bounded); returns every page seen."""
        deadline = time.monotonic() + timeout
        seen: list[Page] = []
        while True:
            seen.append(self.page(path))
            if condition(seen[-1]):
                return seen
            if time.monotonic() > deadline:
                summary = [(p.status, p.cache, p.title) for p in seen[-5:]]
                pytest.fail(f"{path}: condition not met in {timeout}s; last pages: {summary}")
            time.sleep(0.05)  # a poll interval, not a wait for the condition

    def settle(self, path: str) -> Page:
        """The page once it is a fresh cache HIT (a STALE one from an earlier purge regenerates)."""
        return self.wait_for(path, lambda page: page.status == 200 and page.cache == "HIT")[-1]

    def server_output(self) -> str:
        return self.log_file.read_text(errors="replace")


def require_node() -> None:
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.skip(f"`{tool}` is not installed: the Next.js end-to-end tests need Node 20+")


def sources_hash(site_dir: Path) -> str:
    """A hash of everything a site's build depends on (node_modules: via the lockfile)."""
    digest = hashlib.sha256()
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    digest.update(node.stdout.encode())
    for file in sorted(site_dir.rglob("*")):
        relative = file.relative_to(site_dir)
        if relative.parts[0] in _NOT_SOURCES or not file.is_file():
            continue
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def _run(cmd: list[str], *, cwd: Path, timeout: float, what: str) -> None:
    env = {**os.environ, "NEXT_TELEMETRY_DISABLED": "1"}
    try:
        done = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{what} took longer than {timeout:.0f}s:\n{exc.stdout}\n{exc.stderr}")
    if done.returncode != 0:
        output = f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        pytest.fail(f"{what} failed ({done.returncode}):\n{output}")


def next_bin(site_dir: Path) -> Path:
    return site_dir / "node_modules" / "next" / "dist" / "bin" / "next"


def ensure_built(site_dir: Path, *, install: bool = True) -> Path:
    """Install and build unless the stamp in ``.next`` matches the sources; returns ``.next``.
    ``install=False``: the site's ``node_modules`` is already in place (a copy of a site)."""
    if install:
        setup = ["bash", "scripts/setup-e2e.sh", site_dir.relative_to(REPO_DIR).as_posix()]
        _run(setup, cwd=REPO_DIR, timeout=BUILD_TIMEOUT, what="npm install")
    build_dir = site_dir / ".next"
    lock_path = site_dir / "node_modules" / ".isr-desk-build.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two pytest runs at once build only once
        wanted = sources_hash(site_dir)
        stamp = build_dir / BUILD_STAMP
        if (build_dir / "BUILD_ID").is_file() and stamp.is_file() and stamp.read_text() == wanted:
            return build_dir
        with contextlib.suppress(FileNotFoundError):
            stamp.unlink()
        build = ["node", str(next_bin(site_dir)), "build"]
        _run(build, cwd=site_dir, timeout=BUILD_TIMEOUT, what=f"next build of {site_dir.name}")
        stamp.write_text(wanted)
    return build_dir


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log_file: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(trust_env=False, timeout=5.0) as probe:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"next start exited ({proc.returncode}):\n{log_file.read_text()}")
            try:
                # Any answer means the server is up (a base path makes "/" a 404).
                probe.get(url + "/")
                return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                output = log_file.read_text()
                pytest.fail(f"next start not ready in {START_TIMEOUT:.0f}s:\n{output}")
            time.sleep(0.1)  # poll interval while the server boots


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextlib.contextmanager
def run_site(
    site_dir: Path,
    workdir: Path,
    secret: str,
    *,
    instances: int = 1,
    port: int | None = None,
    install: bool = True,
) -> Iterator[list[NextSite]]:
    """Build ``site_dir`` (cached) and run it as ``instances`` ``next start`` processes, each
    on its own free port of 127.0.0.1 (or ``port``, for one instance), all reading one data
    file (a temp copy)."""
    require_node()
    build_dir = ensure_built(site_dir, install=install)
    data_file = workdir / "posts.json"
    shutil.copyfile(site_dir / "data" / "posts.json", data_file)
    env = {
        **os.environ,
        "NEXT_TELEMETRY_DISABLED": "1",
        "REVALIDATE_SECRET": secret,
        "DATA_FILE": str(data_file),
    }
    procs: list[subprocess.Popen[bytes]] = []
    sites: list[NextSite] = []
    with contextlib.ExitStack() as stack:
        stack.callback(lambda: [_stop(proc) for proc in procs])
        for number in range(instances):
            port = port if port is not None and instances == 1 else free_port()
            url = f"http://127.0.0.1:{port}"
            log_file = workdir / f"next-{number}.log"
            cmd = ["node", str(next_bin(site_dir)), "start", "-H", "127.0.0.1", "-p", str(port)]
            with log_file.open("wb") as log:
                procs.append(
                    subprocess.Popen(
                        cmd, cwd=site_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )  # fmt: skip
            _wait_ready(url, procs[-1], log_file)
            client = stack.enter_context(httpx.Client(base_url=url, trust_env=False, timeout=30.0))
            sites.append(NextSite(url, secret, build_dir, data_file, log_file, client))
        yield sites
