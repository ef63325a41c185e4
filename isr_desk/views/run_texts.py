"""The words of a run: the confirmation box's question and the verdicts' sentence.

Plain Python (no widgets), so the panels and the run controller share them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from isr_desk.domain import SiteProfile, Target, TargetKind, plural
from isr_desk.services.verify import Verdict, Verification

__all__ = ["TagPages", "confirmation_text", "describe_targets", "plural", "verification_message"]

TagPages = Callable[[str], Sequence[str] | None]
_SHOWN_PAGES = 5


def describe_targets(targets: Sequence[Target]) -> str:
    paths = sum(1 for t in targets if t.kind is TargetKind.PATH)
    tags = len(targets) - paths
    parts = [plural(paths, "page")] if paths else []
    if tags:
        parts.append(plural(tags, "tag"))
    return " and ".join(parts)


def confirmation_text(
    profile: SiteProfile, targets: Sequence[Target], tag_pages: TagPages | None
) -> tuple[str, str]:
    """The question and the details of the confirmation box."""
    tags = [t.value for t in targets if t.kind is TargetKind.TAG]
    verb = "Purge" if tags and len(tags) == len(targets) else "Revalidate"
    question = f"{verb} {describe_targets(targets)} on “{profile.name}”?"
    lines: list[str] = []
    for tag in tags[:_SHOWN_PAGES]:
        pages = tag_pages(tag) if tag_pages else None
        if pages is None:
            lines.append(f"Tag “{tag}”: not in the manifest, so the pages it touches are unknown.")
        else:
            shown = ", ".join(pages[:_SHOWN_PAGES])
            more = f" and {len(pages) - _SHOWN_PAGES:,} more" if len(pages) > _SHOWN_PAGES else ""
            lines.append(f"Tag “{tag}” touches {plural(len(pages), 'page')}: {shown}{more}.")
    if len(tags) > _SHOWN_PAGES:
        lines.append(f"… and {plural(len(tags) - _SHOWN_PAGES, 'more tag')}.")
    lines.append(
        f"This sends {plural(len(targets) * len(profile.bases), 'request')} to {profile.base_url}. "
        "Each page is rebuilt the next time someone visits it."
    )
    return question, "\n".join(lines)


def verification_message(verifications: Sequence[Verification]) -> tuple[bool, str]:
    """(all fine, the status bar's sentence) after a run's pages were checked."""
    checked = [v for v in verifications if v.verdict is not Verdict.NOT_CHECKED]
    if not checked:
        return True, "Not verified: load the site's manifest to check a tag's pages"
    if len(checked) == 1:
        v = checked[0]
        return v.ok, f"{v.label}: {v.detail}"
    doubtful = [v for v in checked if not v.ok]
    if doubtful:
        return False, (
            f"{len(doubtful):,} of {len(checked):,} pages did not change as expected: "
            "see the Verify column"
        )
    return True, f"Verified: all {len(checked):,} pages serve the new version (or will)"
