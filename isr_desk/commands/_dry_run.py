"""``revalidate --dry-run``: print the requests a run would send, and send nothing.

The requests are built exactly as the engine builds them (batches, instances, presets), with
a stand-in secret that the redaction turns into ``•••``: no keyring and no real secret are
needed, so a pipeline can check its command before it has the secret.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from isr_desk.domain import PreparedRequest, SiteProfile, Target
from isr_desk.services.sites import build_requests, with_placeholders

if TYPE_CHECKING:
    from isr_desk.commands import Context

STAND_IN = "isr-desk-dry-run-secret"  # replaced by ••• before anything is printed


def planned_requests(
    profile: SiteProfile, targets: Sequence[Target], batch: int | None = None
) -> list[PreparedRequest]:
    requests: list[PreparedRequest] = []
    profile = with_placeholders(profile)  # a secret header reads •••
    for base in profile.bases:
        built = build_requests(profile, targets, STAND_IN, base_url=base, size=batch)
        requests.extend(r.redacted() for r in built)
    return requests


def print_dry_run(
    profile: SiteProfile, targets: Sequence[Target], ctx: Context, *, as_json: bool
) -> int:
    requests = planned_requests(profile, targets)
    for request in requests:
        body = request.body.decode("utf-8", "replace") if request.body else None
        if as_json:
            headers = [list(h) for h in request.headers]
            ctx.json_line(
                {"method": request.method, "url": request.url, "headers": headers, "body": body}
            )
            continue
        ctx.out(f"{request.method} {request.url}")
        for key, value in request.headers:
            ctx.out(f"  {key}: {value}")
        if body is not None:
            ctx.out(f"  {body}")
    summary = f"Dry run: {len(requests)} request(s) for {len(targets)} target(s); nothing sent."
    if as_json:
        ctx.json_line({"dry_run": {"requests": len(requests), "targets": len(targets)}})
    else:
        ctx.out(summary)
    return 0
