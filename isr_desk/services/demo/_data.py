"""The pages and tags of the built-in demo site, generated deterministically from a seed.

About 190 pages across 21 tags: a home page and a few marketing pages, a blog, a product
catalogue (whose revalidation is slow), docs, three ``/broken/`` pages whose revalidation
always fails, and ``/archive/2019``, which the route refuses with ``{"revalidated": false}``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

BLOG_CATEGORIES = ("engineering", "design", "product", "company", "culture", "releases")
PRODUCT_CATEGORIES = ("shoes", "bags", "hats", "outdoor", "sale")
DOC_SECTIONS = ("getting-started", "guides", "api", "deploy")
MARKETING = ("about", "pricing", "contact", "careers", "changelog")
RATE_LIMITED_TAG = "products"  # every other purge of it gets 429 + Retry-After: 1
NOT_REVALIDATED_PATH = "/archive/2019"
BROKEN_PREFIX = "/broken/"

_ADJECTIVES = (
    "quiet", "rapid", "bright", "hidden", "simple", "modern", "gentle", "bold", "tiny",
    "clever", "golden", "silent", "swift", "wild", "lucky", "humble", "brave", "calm",
)  # fmt: skip
_NOUNS = (
    "cache", "river", "deploy", "garden", "signal", "engine", "harbor", "lantern", "pixel",
    "compass", "meadow", "rocket", "bridge", "canvas", "forest", "beacon", "summit", "atlas",
)  # fmt: skip
_DOC_TOPICS = (
    "install", "configure", "profiles", "secrets", "tags", "paths", "batching", "retries",
    "rate-limits", "webhooks", "ci", "docker", "vercel", "self-hosted", "cdn", "verify",
    "history", "export", "troubleshooting", "faq",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DemoPage:
    """One page of the demo site. ``slow_ms`` is how long its revalidation takes."""

    path: str
    title: str
    tags: tuple[str, ...]
    revalidate: int
    slow_ms: int = 0


def all_tags() -> tuple[str, ...]:
    return (
        "navigation",
        "marketing",
        "posts",
        *(f"blog:{c}" for c in BLOG_CATEGORIES),
        "products",
        *(f"catalog:{c}" for c in PRODUCT_CATEGORIES),
        "docs",
        *(f"docs:{s}" for s in DOC_SECTIONS),
        "broken",
    )


def build_pages(seed: int) -> tuple[DemoPage, ...]:
    """Every page of the demo site, in a stable order; the same seed gives the same site."""
    rng = random.Random(seed)
    pages = [DemoPage("/", "Home", ("navigation", "marketing"), 30)]
    pages += [
        DemoPage(f"/{name}", name.capitalize(), ("navigation", "marketing"), 300)
        for name in MARKETING
    ]
    pages.append(DemoPage("/blog", "Blog", ("navigation", "posts"), 60))
    for slug in _slugs(rng, 60):
        category = rng.choice(BLOG_CATEGORIES)
        pages.append(DemoPage(f"/blog/{slug}", _title(slug), ("posts", f"blog:{category}"), 60))
    pages.append(DemoPage("/products", "Products", ("navigation", "products"), 120))
    for number in rng.sample(range(1000, 9999), 60):
        category = rng.choice(PRODUCT_CATEGORIES)
        pages.append(
            DemoPage(
                f"/products/{number}",
                f"Product {number} ({category})",
                ("products", f"catalog:{category}"),
                120,
                slow_ms=rng.randint(300, 800),
            )
        )
    pages.append(DemoPage("/docs", "Documentation", ("navigation", "docs"), 3600))
    for section in DOC_SECTIONS:
        for topic in rng.sample(_DOC_TOPICS, 15):
            pages.append(
                DemoPage(
                    f"/docs/{section}/{topic}",
                    f"{_title(topic)} — {_title(section)}",
                    ("docs", f"docs:{section}"),
                    3600,
                )
            )
    pages += [
        DemoPage(f"{BROKEN_PREFIX}{n}", f"Broken page {n}", ("broken",), 60) for n in (1, 2, 3)
    ]
    pages.append(DemoPage(NOT_REVALIDATED_PATH, "Archive 2019", ("marketing",), 86400))
    return tuple(pages)


def _slugs(rng: random.Random, count: int) -> list[str]:
    slugs: list[str] = []
    while len(slugs) < count:
        slug = f"{rng.choice(_ADJECTIVES)}-{rng.choice(_NOUNS)}"
        if slug not in slugs:
            slugs.append(slug)
    return slugs


def _title(slug: str) -> str:
    return slug.replace("-", " ").capitalize()


# --- the build before this one (the "What changed" window has something to show) ----------
PREVIOUS_CATALOG = "shop"  # the product tags were shop:<category>, renamed catalog:<category>
NEW_POSTS = 3  # the newest blog posts came with this build
REMOVED_PAGE = DemoPage("/jobs", "Jobs", ("navigation", "marketing"), 300)
DAILY = 86400  # the deploy docs refreshed once a day; now every hour


def previous_pages(seed: int) -> tuple[DemoPage, ...]:
    """The demo site's previous build: what a deploy since then renamed, added, removed and
    changed (docs/patterns-and-diffs.md shows the window this gives)."""
    pages = list(build_pages(seed))
    posts = [p.path for p in pages if p.path.startswith("/blog/")]
    newest = set(posts[-NEW_POSTS:])
    earlier = []
    for page in pages:
        if page.path in newest:
            continue
        tags = tuple(
            t.replace("catalog:", f"{PREVIOUS_CATALOG}:", 1) if t.startswith("catalog:") else t
            for t in page.tags
        )
        seconds = DAILY if page.path.startswith("/docs/deploy/") else page.revalidate
        earlier.append(DemoPage(page.path, page.title, tags, seconds, page.slow_ms))
    earlier.insert(1 + len(MARKETING), REMOVED_PAGE)
    return tuple(earlier)
