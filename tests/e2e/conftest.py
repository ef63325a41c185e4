"""Real Next.js sites for end-to-end tests (see :mod:`tests.e2e.nextjs`), one fixture each.

- ``next_site``: ``tests/e2e/next_site`` (Next 16, App + Pages Router, no base path).
- ``shop14``: ``tests/e2e/sites/next14_shop`` (Next 14.2, basePath ``/shop``, the docs' GET
  route, Pages Router with i18n, a non-ASCII page).
- ``blog15``: ``tests/e2e/sites/next15_blog`` (Next 15.5, trailingSlash, ``[lang]`` segment,
  a plural Bearer route).
- ``docs16``: ``tests/e2e/sites/next16_cache`` (Next 16, Cache Components, a header-secret
  route), two instances of one build.

Each is built once (cached by a hash of its sources) and started once per session on free
ports of 127.0.0.1. The slug ``pages-router`` of ``next_site`` is never edited (tests may
rely on its build-time content).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.nextjs import NextSite, Page, run_site

SITE_DIR = Path(__file__).parent / "next_site"
SITES_DIR = Path(__file__).parent / "sites"
UNTOUCHED_SLUG = "pages-router"

__all__ = ["SITES_DIR", "SITE_DIR", "UNTOUCHED_SLUG", "NextSite", "Page"]


def _running(
    factory: pytest.TempPathFactory, site_dir: Path, *, instances: int = 1
) -> Iterator[list[NextSite]]:
    workdir = factory.mktemp(site_dir.name)
    with run_site(site_dir, workdir, secrets.token_urlsafe(18), instances=instances) as sites:
        yield sites


@pytest.fixture(scope="session")
def next_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NextSite]:
    for (site,) in _running(tmp_path_factory, SITE_DIR):
        yield site


@pytest.fixture(scope="session")
def shop14(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NextSite]:
    for (site,) in _running(tmp_path_factory, SITES_DIR / "next14_shop"):
        yield site


@pytest.fixture(scope="session")
def blog15(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NextSite]:
    for (site,) in _running(tmp_path_factory, SITES_DIR / "next15_blog"):
        yield site


@pytest.fixture(scope="session")
def docs16(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[NextSite]]:
    """Two ``next start`` instances of one build: each has its own ISR cache."""
    yield from _running(tmp_path_factory, SITES_DIR / "next16_cache", instances=2)


from tests.e2e.isr_cli import add_site  # noqa: E402, F401 - a fixture for every e2e test
