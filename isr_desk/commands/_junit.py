"""A run as a JUnit XML report: each target (per instance) a test case, failures as failures.

CI systems (GitHub Actions reporters, GitLab, Jenkins) read this format and show the failed
targets as failed tests. No secret is in it: results carry redacted requests only.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from isr_desk.domain import ORIGIN, Outcome, Result, RunSummary
from isr_desk.services.errors import IsrError


def junit_xml(site: str, results: Sequence[Result], summary: RunSummary) -> str:
    skipped = [r for r in results if _skipped(r)]
    failed = [r for r in results if not r.ok and not _skipped(r)]
    suite = ET.Element(
        "testsuite",
        name=f"isr-desk revalidate {site}",
        tests=str(len(results)),
        failures=str(sum(1 for r in failed if r.status is not None)),
        errors=str(sum(1 for r in failed if r.status is None)),
        skipped=str(len(skipped)),
        time=f"{summary.duration_ms / 1000:.3f}",
    )
    for result in results:
        suite.append(_case(site, result))
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _case(site: str, result: Result) -> ET.Element:
    name = str(result.target) + (f" @ {result.instance}" if result.instance else "")
    if result.step != ORIGIN:  # the CDN purge of the same target: a test case of its own
        name = f"{result.step}: {name}"
    case = ET.Element(
        "testcase", classname=site, name=name, time=f"{result.duration_ms / 1000:.3f}"
    )
    if result.ok:
        return case
    if _skipped(result):  # never sent (Ctrl-C, or a CDN that cannot purge it): not a failure
        ET.SubElement(case, "skipped", message=result.error or result.outcome.label)
        return case
    status = result.status if result.status is not None else "no answer"
    message = f"{result.outcome.label} ({status})"
    kind = "failure" if result.status is not None else "error"
    detail = ET.SubElement(case, kind, message=message, type=result.outcome.value)
    detail.text = "\n".join(part for part in (result.hint, result.error, _body(result)) if part)
    return case


def _skipped(result: Result) -> bool:
    """Cancelled before it was sent, or a CDN row its API cannot purge (a path on Vercel,
    which the origin's revalidation covers): a skipped case, not a failed one."""
    if result.outcome is Outcome.CANCELLED:
        return True
    return result.outcome is Outcome.UNSUPPORTED and result.step != ORIGIN


def _body(result: Result) -> str | None:
    response = result.response
    if response in (None, "", {}):
        return None
    return f"response: {response}"


def check_writable(path: Path) -> None:
    """Raise unless ``path`` can be written: checked before a run sends anything, so a typo
    in ``--junit`` costs nothing (docs/ci.md)."""
    what = f"--junit {path}"
    if path.is_dir():
        raise IsrError(f"{what} is a directory", hint="Give a file name, e.g. report.xml")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        why = "is not a directory" if parent.exists() else "does not exist"
        raise IsrError(f"{what}: {parent} {why}", hint="Give a file in an existing directory")
    exists = path.exists()
    if not os.access(path if exists else parent, os.W_OK if exists else os.W_OK | os.X_OK):
        raise IsrError(f"{what} cannot be written (permission denied)")


def write_junit(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise IsrError(f"Cannot write {path}: {exc.strerror or exc}") from exc
