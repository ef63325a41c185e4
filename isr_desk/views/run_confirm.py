"""The confirmation asked before a bulk run or any tag refresh.

A window-modal message box opened with ``open()`` (never ``exec()`` inside a coroutine). It
says what will be refreshed (a sample of the pages), how many requests that is and about
how long it takes, and what "Verify the pages afterwards" will and will not check. Above the
bulk threshold Cancel is the default button, so Enter never starts thousands of requests.
The Verify box says when it is off because the run is big: never silently off.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from isr_desk.domain import CdnProvider, SiteProfile, Target, TargetKind
from isr_desk.services.cdn import VERCEL_PATHS_NOTE, CdnError, CdnPurger
from isr_desk.services.sites import batch_size
from isr_desk.services.verify import MAX_PAGES_PER_TAG
from isr_desk.views.plain import plain
from isr_desk.views.run_texts import TagPages, confirmation_text, describe_targets, plural

SAMPLE = 5
# An answer usually comes within a quarter of a second; the estimate says it assumes so.
TYPICAL_SECONDS = 0.25


def sample_text(targets: Sequence[Target]) -> str:
    """ "Pages: /a, /b, /c, /d, /e and 2,995 more." (empty when no page is listed)."""
    paths = [t.value for t in targets if t.kind is TargetKind.PATH]
    if not paths:
        return ""
    more = f" and {len(paths) - SAMPLE:,} more" if len(paths) > SAMPLE else ""
    return f"Pages: {', '.join(paths[:SAMPLE])}{more}."


def requests_for(profile: SiteProfile, targets: Sequence[Target]) -> int:
    per_request = batch_size(profile)
    return math.ceil(len(targets) / per_request) * len(profile.bases)


def estimate_text(profile: SiteProfile, targets: Sequence[Target]) -> str:
    requests = requests_for(profile, targets)
    waves = math.ceil(requests / max(1, profile.concurrency))
    seconds = waves * TYPICAL_SECONDS
    if seconds < 1:
        about = "under a second"
    else:
        about = f"about {seconds:.0f} s" if seconds < 90 else f"about {seconds / 60:.0f} min"
    return (
        f"That is {plural(requests, 'request')}, {profile.concurrency} at a time: "
        f"{about} if the site answers as fast as most do. You can cancel at any time and "
        "send the rest later."
    )


def cdn_text(profile: SiteProfile, targets: Sequence[Target]) -> str:
    """The CDN step of the run, from the CDN service's own plan: "Then purge Cloudflare
    (zone 023e…) for the same 120 pages and 5 tags — 3 calls." (docs/cdn.md)."""
    cdn = profile.cdn
    name = cdn.provider.label
    try:
        plan = CdnPurger.plan_of(profile, targets)
    except CdnError as exc:
        return f"Then purge {name}: it cannot start — {exc.message}."
    where = f"zone {cdn.zone}" if cdn.provider is CdnProvider.CLOUDFLARE else (
        f"project {cdn.project}")  # fmt: skip
    covered = [t for batch in plan.batches for t in batch.targets]
    text = f"Then purge {name} ({where})"
    if covered:
        same = "the same " if len(covered) == len(targets) else ""
        calls = plural(len(plan.batches), "call")
        text += f" for {same}{describe_targets(covered)} — {calls} (only what the site refreshed)."
    else:
        text += ": nothing in this run can be purged there."
    if plan.unsupported:
        skipped = describe_targets([t for t, _ in plan.unsupported])
        why = VERCEL_PATHS_NOTE if cdn.provider is CdnProvider.VERCEL else plan.unsupported[0][1]
        text += f" Not purged: {skipped} ({why})."
    return text


def verify_text(targets: Sequence[Target]) -> str:
    tags = any(t.kind is TargetKind.TAG for t in targets)
    text = (
        "Verify fetches each page before and after, as a visitor would (two more requests "
        "per page), and says whether it changed."
    )
    if tags:
        text += f" For a tag it checks up to {MAX_PAGES_PER_TAG} of its pages, not all."
    return text + " It cannot see caches in front of the site in other regions."


def open_confirmation(
    parent: QWidget | None,
    profile: SiteProfile,
    targets: Sequence[Target],
    *,
    tag_pages: TagPages | None,
    verify_checked: bool,
    offer_verify: bool,
    purge_cdn: bool = False,
    on_accepted: Callable[[bool], None],
    on_rejected: Callable[[], None],
    threshold: int = 20,
) -> QMessageBox:
    """Open the box (non-blocking); ``on_accepted(verify)`` or ``on_rejected()`` follows."""
    question, details = confirmation_text(profile, targets, tag_pages)
    bulk = len(targets) > threshold
    lines = [sample_text(targets), details, estimate_text(profile, targets)]
    if purge_cdn and profile.cdn.enabled:
        lines.append(cdn_text(profile, targets))
    if offer_verify:
        lines.append(verify_text(targets))
    box = QMessageBox(parent)
    plain(box)  # names the site and the first targets
    box.setIcon(QMessageBox.Icon.Warning if bulk else QMessageBox.Icon.Question)
    box.setWindowTitle("Confirm refresh")
    box.setText(question)
    box.setInformativeText("\n\n".join(line for line in lines if line))
    go = box.addButton(question.split(" on ")[0], QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel if bulk else go)  # Enter never starts a bulk run
    box.setEscapeButton(cancel)
    label = "Verify the pages afterwards"
    if bulk and not verify_checked:
        label += f" (off for runs over {threshold:,}: it triples the requests)"
    verify = QCheckBox(label)
    verify.setChecked(verify_checked)
    if offer_verify:
        box.setCheckBox(verify)

    def on_finished(_: int) -> None:
        box.deleteLater()
        if box.clickedButton() is go:
            on_accepted(verify.isChecked())
        else:
            on_rejected()

    box.finished.connect(on_finished)
    box.open()
    return box
