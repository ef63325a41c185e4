"""The words of a run: progress counts, plurals, and the confirmation box's question.

Plain Python (no widgets), so the panels and the run controller share them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from isr_desk.domain import SiteProfile, Target, TargetKind

TagPages = Callable[[str], Sequence[str] | None]
_SHOWN_PAGES = 5


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a run is: counts and the rate in targets per second."""

    done: int
    failed: int
    total: int
    elapsed: float

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.done)

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed > 0 else 0.0


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


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
    question = f"Refresh {describe_targets(targets)} on “{profile.name}”?"
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
