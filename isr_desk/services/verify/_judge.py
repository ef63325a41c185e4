"""Verdicts on a page after a revalidation: what one GET showed, and how to judge it.

Pure values and functions (no I/O): :mod:`isr_desk.services.verify._verifier` fetches the pages and
calls :func:`judge_now` / :func:`judge_rebuilt`; the rules are in its module docstring.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from isr_desk.domain import Target

REBUILT = frozenset({"MISS", "REVALIDATED"})
_CDN_HIT = frozenset({"HIT", "STALE", "UPDATING"})


class Verdict(enum.StrEnum):
    """What a page showed after its revalidation."""

    REGENERATED = "regenerated"
    WILL_REFRESH = "will-refresh"
    UNCHANGED = "unchanged"
    CDN_STALE = "cdn-stale"
    INCONCLUSIVE = "inconclusive"  # the "before" fetch itself started a rebuild
    FAILED = "failed"
    NOT_CHECKED = "not-checked"  # a tag no manifest maps to pages

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def ok(self) -> bool:
        return self in (Verdict.REGENERATED, Verdict.WILL_REFRESH)


_LABELS = {
    Verdict.REGENERATED: "Regenerated",
    Verdict.WILL_REFRESH: "Will refresh on next visit",
    Verdict.UNCHANGED: "Unchanged",
    Verdict.CDN_STALE: "CDN still serving old copy",
    Verdict.INCONCLUSIVE: "Inconclusive",
    Verdict.FAILED: "Page error",
    Verdict.NOT_CHECKED: "Not checked",
}


@dataclass(frozen=True, slots=True)
class PageState:
    """One GET of a page: what a visitor got, reduced to what tells versions apart."""

    url: str
    status: int | None = None
    etag: str | None = None
    body_sha256: str | None = None
    nextjs_cache: str | None = None
    vercel_cache: str | None = None
    cf_cache: str | None = None
    x_cache: str | None = None
    age: int | None = None
    error: str | None = None
    fetched_at: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 400

    @property
    def cache(self) -> str | None:
        """The ISR cache state (``HIT``/``MISS``/``STALE``...) from Next or Vercel."""
        value = self.nextjs_cache or self.vercel_cache
        return value.upper() if value else None

    def same_content(self, other: PageState) -> bool:
        if self.etag and other.etag:
            return self.etag == other.etag
        return self.body_sha256 == other.body_sha256

    def cdn_hit(self) -> str | None:
        """Evidence that a cache in front of the site answered, in words; else None."""
        if self.vercel_cache and self.vercel_cache.upper() == "HIT":
            return "x-vercel-cache: HIT"
        if self.cf_cache and self.cf_cache.upper() in _CDN_HIT:
            return f"cf-cache-status: {self.cf_cache}"
        if self.x_cache and "HIT" in self.x_cache.upper():
            return f"x-cache: {self.x_cache}"
        if self.age is not None and self.age > 0:
            return f"age: {self.age} s"
        return None

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status if self.error is None else self.error,
            "etag": self.etag,
            "body_sha256": self.body_sha256[:16] if self.body_sha256 else None,
            "x-nextjs-cache": self.nextjs_cache,
            "x-vercel-cache": self.vercel_cache,
            "cf-cache-status": self.cf_cache,
            "x-cache": self.x_cache,
            "age": self.age,
        }


@dataclass(frozen=True, slots=True)
class Verification:
    """The verdict on one page (on one instance) after a run, with the evidence."""

    verdict: Verdict
    detail: str
    path: str
    url: str = ""
    instance: str | None = None
    target: Target | None = None
    before: PageState | None = None
    after: PageState | None = None
    fetches: int = 0

    @property
    def label(self) -> str:
        return self.verdict.label

    @property
    def ok(self) -> bool:
        return self.verdict.ok

    def evidence(self) -> list[tuple[str, str, str]]:
        """Rows (what, before, after) for a details pane; only rows with a value."""
        before = self.before.summary() if self.before else {}
        after = self.after.summary() if self.after else {}
        rows = []
        for key in after.keys() | before.keys():
            old, new = before.get(key), after.get(key)
            if old is not None or new is not None:
                rows.append(
                    (key, "—" if old is None else str(old), "—" if new is None else str(new))
                )
        order = list(PageState("").summary())
        return sorted(rows, key=lambda row: order.index(row[0]))

    def to_json(self) -> dict[str, Any]:
        target = self.target or Target.path(self.path)
        data: dict[str, Any] = {
            "kind": target.kind.value,
            "target": target.value,
            "path": self.path,
            "verdict": self.verdict.value,
            "label": self.label,
            "detail": self.detail,
            "before": self.before.summary() if self.before else None,
            "after": self.after.summary() if self.after else None,
        }
        if self.instance is not None:
            data["instance"] = self.instance
        return data


# --- judging ------------------------------------------------------------------------------


INCONCLUSIVE = (
    "Inconclusive — the page was already being rebuilt: the check before the revalidation "
    "got {state}, so the site rebuilt it on its own and a change proves nothing. Check again "
    "when the page is served fresh (HIT), or look at the page itself."
)


def rebuilding(before: PageState | None) -> bool:
    """True when the "before" fetch was already a rebuild (STALE starts one, MISS is one)."""
    return before is not None and not before.failed and before.cache in ("STALE", "MISS")


def judge_now(
    before: PageState | None, after: PageState, *, tag_purge: bool
) -> tuple[Verdict | None, str]:
    """A verdict from the first fetch, or (None, "") when it takes another fetch.

    After a "before" that was STALE or MISS, only a rebuild on this visit (MISS, then HIT)
    proves the revalidation: new content alone may be the site's own background rebuild.
    """
    if after.failed:
        return Verdict.FAILED, _failure(after)
    if rebuilding(before) and after.cache not in REBUILT:
        assert before is not None
        return Verdict.INCONCLUSIVE, INCONCLUSIVE.format(state=before.cache)
    if before is not None and before.failed:
        was = before.error or f"answered {before.status}"
        return Verdict.REGENERATED, f"The page now answers {after.status}; before it {was}."
    if before is not None and not before.same_content(after):
        return Verdict.REGENERATED, f"New content: {_change(before, after)}."
    cdn = after.cdn_hit()
    if before is not None and cdn:
        return Verdict.CDN_STALE, (
            f"Same copy as before the revalidation, served by a cache in front of the site "
            f"({cdn}). Purge that cache too, or wait until its copy expires."
        )
    if after.cache in REBUILT or after.cache == "STALE":
        return None, ""
    if before is None:
        return Verdict.UNCHANGED, "No copy from before the revalidation to compare with."
    if after.cache == "HIT":
        what = "tag" if tag_purge else "path"
        return Verdict.UNCHANGED, (
            f"Same copy as before, still served from the site's cache (HIT): this page was "
            f"not rebuilt. Check that the route revalidates this exact {what}"
            + ("" if tag_purge else " (a dynamic page needs type 'page')")
            + " and, with several instances, that each got the revalidation."
        )
    return Verdict.UNCHANGED, (
        "The content is identical to before the revalidation: the data the page is built "
        "from may not have changed."
    )


def judge_rebuilt(
    before: PageState | None, after: PageState, confirm: PageState
) -> tuple[Verdict, str]:
    if confirm.failed:
        return Verdict.FAILED, _failure(confirm)
    if confirm.cache == "HIT":
        detail = f"Rebuilt on the first visit after the revalidation ({after.cache}, then HIT)"
        if before is not None and before.same_content(confirm):
            detail += "; the content is identical — the data may not have changed"
        return Verdict.REGENERATED, detail + "."
    return Verdict.UNCHANGED, (
        f"The site answers {after.cache} then {confirm.cache or 'no cache state'}: this page "
        "is not kept in its ISR cache, so there is nothing to revalidate."
    )


def stale_then_fresh(before: PageState | None, polled: PageState) -> str:
    text = "Served the old copy once (STALE) while rebuilding, then the new one"
    if before is not None and before.same_content(polled):
        text += "; the content is identical — the data may not have changed"
    return text + "."


def will_refresh(tag_purge: bool) -> str:
    why = " (a tag purge with the 'max' profile works this way)" if tag_purge else ""
    return (
        f"The site still serves the old copy (STALE) and rebuilds the page in the "
        f"background{why}: the next visit gets the new one."
    )


def _change(before: PageState, after: PageState) -> str:
    if before.etag and after.etag:
        return f"ETag {before.etag} → {after.etag}"
    return "the page body changed"


def _failure(state: PageState) -> str:
    if state.error:
        return f"The page could not be fetched: {state.error}."
    return f"The page answers {state.status}: check the path, or the site's logs."
