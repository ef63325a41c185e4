"""How :mod:`isr_desk.services.history._store` turns results into rows, CSV and JSON and back.

Every request is redacted again on the way in (a request that still holds its secret never
reaches a row or a file), and the secret is blanked from the response text, error and
headers too, in case a route echoes it.
"""

from __future__ import annotations

import base64
import csv
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from isr_desk.domain import (
    ORIGIN,
    Outcome,
    PreparedRequest,
    Result,
    Target,
    TargetKind,
    Timing,
    redact_text,
)
from isr_desk.services.errors import HistoryError
from isr_desk.services.paths import atomic_write

RESULT_COLUMNS = (
    "kind", "target", "ok", "outcome", "status", "duration_ms", "attempts", "response",
    "error", "hint", "total_ms", "connect_ms", "tls_ms", "first_byte_ms", "instance",
    "started_at", "req_method", "req_url", "req_headers", "req_body", "req_targets",
    "response_headers", "step",
)  # fmt: skip
CSV_COLUMNS = (
    "run_id", "started_at", "step", "kind", "target", "instance", "ok", "result", "outcome",
    "status", "duration_ms", "attempts", "connect_ms", "tls_ms", "first_byte_ms", "error", "hint",
    "method", "url", "response",
)  # fmt: skip


# --- rows ----------------------------------------------------------------------------------


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def targets_json(targets: Sequence[Target]) -> str:
    return _dumps([[t.kind.value, t.value] for t in targets])


def targets_from_json(text: str | None) -> list[Target]:
    return [Target(TargetKind(kind), value) for kind, value in json.loads(text or "[]")]


def safe(result: Result) -> Result:
    """``result`` with the request redacted and its secret blanked from every text."""
    request = result.request
    if request is None or not request.secret:
        return result
    secret = request.secret

    def blank(text: str | None) -> str | None:
        return None if text is None else redact_text(text, secret)

    response = result.response
    if response is not None:
        response = json.loads(redact_text(_dumps(response), secret))
    return Result(
        target=result.target,
        ok=result.ok,
        outcome=result.outcome,
        status=result.status,
        duration_ms=result.duration_ms,
        attempts=result.attempts,
        response=response,
        error=blank(result.error),
        hint=blank(result.hint),
        timing=result.timing,
        instance=result.instance,
        started_at=result.started_at,
        request=request.redacted(),
        response_headers=tuple((k, redact_text(v, secret)) for k, v in result.response_headers),
        step=result.step,
    )


def result_row(result: Result) -> tuple[Any, ...]:
    """The values of :data:`RESULT_COLUMNS` for one result (redacted)."""
    r = safe(result)
    t, req = r.timing, r.request
    return (
        r.target.kind.value,
        r.target.value,
        int(r.ok),
        r.outcome.value,
        r.status,
        r.duration_ms,
        r.attempts,
        None if r.response is None else _dumps(r.response),
        r.error,
        r.hint,
        None if t is None else t.total_ms,
        None if t is None else t.connect_ms,
        None if t is None else t.tls_ms,
        None if t is None else t.first_byte_ms,
        r.instance,
        r.started_at,
        None if req is None else req.method,
        None if req is None else req.url,
        None if req is None else _dumps([list(h) for h in req.headers]),
        None if req is None else req.body,
        None if req is None else targets_json(req.targets),
        _dumps([list(h) for h in r.response_headers]),
        r.step,
    )


def _pairs(text: str | None) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in json.loads(text or "[]"))


def result_from_row(row: Sequence[Any]) -> Result:
    d = dict(zip(RESULT_COLUMNS, row, strict=True))
    timing = None
    if d["total_ms"] is not None:
        timing = Timing(d["total_ms"], d["connect_ms"], d["tls_ms"], d["first_byte_ms"])
    request = None
    if d["req_method"] is not None:
        body = d["req_body"]
        request = PreparedRequest(
            method=d["req_method"],
            url=d["req_url"],
            headers=_pairs(d["req_headers"]),
            body=None if body is None else bytes(body),
            targets=tuple(targets_from_json(d["req_targets"])),
        )
    return Result(
        target=Target(TargetKind(d["kind"]), d["target"]),
        ok=bool(d["ok"]),
        outcome=Outcome(d["outcome"]),
        status=d["status"],
        duration_ms=d["duration_ms"],
        attempts=d["attempts"],
        response=None if d["response"] is None else json.loads(d["response"]),
        error=d["error"],
        hint=d["hint"],
        timing=timing,
        instance=d["instance"],
        started_at=d["started_at"],
        request=request,
        response_headers=_pairs(d["response_headers"]),
        step=d["step"] or ORIGIN,
    )


# --- JSON ----------------------------------------------------------------------------------


def result_to_dict(result: Result) -> dict[str, Any]:
    """Everything about a result, JSON-ready (the ``--json`` line plus details)."""
    r = safe(result)
    data = r.to_json()
    data.update(
        duration_ms=r.duration_ms,
        outcome=r.outcome.value,
        instance=r.instance,
        started_at=r.started_at,
        timing=None
        if r.timing is None
        else {
            "total_ms": r.timing.total_ms,
            "connect_ms": r.timing.connect_ms,
            "tls_ms": r.timing.tls_ms,
            "first_byte_ms": r.timing.first_byte_ms,
        },
        request=None if r.request is None else _request_dict(r.request),
        response_headers=[list(h) for h in r.response_headers],
    )
    return data


def _request_dict(request: PreparedRequest) -> dict[str, Any]:
    data: dict[str, Any] = {
        "method": request.method,
        "url": request.url,
        "headers": [list(h) for h in request.headers],
        "body": None,
        "targets": [str(t) for t in request.targets],
    }
    if request.body is not None:
        try:
            data["body"] = request.body.decode("utf-8")
        except UnicodeDecodeError:
            data["body_base64"] = base64.b64encode(request.body).decode("ascii")
    return data


def result_from_dict(data: dict[str, Any]) -> Result:
    """The inverse of :func:`result_to_dict` (reads an exported JSON file back)."""
    timing = data.get("timing")
    req = data.get("request")
    request = None
    if req is not None:
        body: bytes | None = None
        if req.get("body_base64") is not None:
            body = base64.b64decode(req["body_base64"])
        elif req.get("body") is not None:
            body = str(req["body"]).encode("utf-8")
        request = PreparedRequest(
            method=req["method"],
            url=req["url"],
            headers=tuple((str(k), str(v)) for k, v in req["headers"]),
            body=body,
            targets=tuple(_target(t) for t in req["targets"]),
        )
    return Result(
        target=Target(TargetKind(data["kind"]), data["target"]),
        ok=bool(data["ok"]),
        outcome=Outcome(data["outcome"]),
        status=data["status"],
        duration_ms=float(data["duration_ms"]),
        attempts=int(data["attempts"]),
        response=data.get("response"),
        error=data.get("error"),
        hint=data.get("hint"),
        timing=None if timing is None else Timing(**timing),
        instance=data.get("instance"),
        started_at=float(data.get("started_at") or 0.0),
        request=request,
        response_headers=tuple((str(k), str(v)) for k, v in data.get("response_headers", [])),
        step=str(data.get("step") or ORIGIN),
    )


def _target(text: str) -> Target:
    return Target.tag(text[4:]) if text.startswith("tag:") else Target.path(text)


# --- files ---------------------------------------------------------------------------------


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


def csv_row(run_id: int, result: Result) -> dict[str, Any]:
    r = safe(result)
    t, req = r.timing, r.request
    return {
        "run_id": run_id,
        "started_at": iso(r.started_at),
        "step": r.step,
        "kind": r.target.kind.value,
        "target": r.target.value,
        "instance": r.instance or "",
        "ok": "true" if r.ok else "false",
        "result": r.outcome.label,
        "outcome": r.outcome.value,
        "status": "" if r.status is None else r.status,
        "duration_ms": round(r.duration_ms, 3),
        "attempts": r.attempts,
        "connect_ms": "" if t is None or t.connect_ms is None else round(t.connect_ms, 3),
        "tls_ms": "" if t is None or t.tls_ms is None else round(t.tls_ms, 3),
        "first_byte_ms": "" if t is None or t.first_byte_ms is None else round(t.first_byte_ms, 3),
        "error": r.error or "",
        "hint": r.hint or "",
        "method": "" if req is None else req.method,
        "url": "" if req is None else req.url,
        "response": "" if r.response is None else _dumps(r.response),
    }


def write_csv(path: Path, run_id: int, results: Sequence[Result]) -> None:
    def write(fh: Any) -> None:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(_no_formulas(csv_row(run_id, r)) for r in results)

    _atomic_write(path, write, newline="")


# A spreadsheet runs a cell starting with these as a formula (=HYPERLINK(...) from a server's
# answer); a leading apostrophe makes it text (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _no_formulas(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_STARTS) else v
        for k, v in row.items()
    }


def write_json(path: Path, run: dict[str, Any], results: Sequence[Result]) -> None:
    # One result per line: readable, diff-able, and the C encoder (indent= would force the
    # pure-Python one, ~5x slower on a 10,000-result run).
    def write(fh: Any) -> None:
        fh.write('{"run": ' + json.dumps(run, ensure_ascii=False) + ',\n "results": [')
        for i, result in enumerate(results):
            fh.write(("\n  " if i == 0 else ",\n  ") + _dumps(result_to_dict(result)))
        fh.write("\n]}\n")

    _atomic_write(path, write)


def _atomic_write(path: Path, write: Any, *, newline: str | None = None) -> None:
    """Write via :func:`paths.atomic_write`, so a failed export leaves no half file."""
    try:
        atomic_write(path, write, newline=newline)
    except OSError as exc:
        raise HistoryError(
            f"Could not export to {path}: {exc.strerror or exc}",
            hint="Choose a folder you can write to",
        ) from exc
