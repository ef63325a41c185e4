"""Issue 15, items 2, 6 and 8: bombs, header leaks on redirects, drip-feeding servers.

Every server is real and on 127.0.0.1. A bomb is read in a child interpreter under an
address-space limit (:func:`tests.helpers.hostile.run_child`): an unbounded reader dies of
``MemoryError`` there; a bounded one reports its peak RSS. A drip server stops dripping
after a while, so a reader without a total deadline finishes late but finishes (the test
then fails on what it got, it does not hang); no assertion is about time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from isr_desk.domain import SiteProfile
from isr_desk.services.doctor import Level, check_endpoint
from isr_desk.services.errors import ManifestError
from isr_desk.services.http import make_client
from isr_desk.services.manifest import load_manifest
from isr_desk.services.manifest._sources import fetch
from isr_desk.services.manifest._sources import make_client as manifest_client
from isr_desk.services.verify import Verifier
from tests.helpers.hostile import body_drip, double_gzip_bomb, header_drip, run_child
from tests.helpers.sites import Answer, LoopbackSite, Reply

PEAK_GOAL_MB = 150


@pytest.fixture
def faults() -> Iterator[LoopbackSite]:
    with LoopbackSite(any_secret=True) as server:
        yield server


# --- item 2: decompression bombs -------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "key"),
    [
        ("manifest", "/manifest.json"),
        ("doctor", "/__isr-desk-doctor-probe"),
        ("verify", "/page"),
    ],
)
def test_gzip_gzip_bomb_is_read_within_the_memory_goal(
    faults: LoopbackSite, mode: str, key: str
) -> None:
    faults.on(key, double_gzip_bomb(), repeat=True)
    url = faults.url + ("/manifest.json" if mode == "manifest" else "")
    report = run_child(mode, url)
    assert report["ok"], report
    assert report["peak_mb"] < PEAK_GOAL_MB, report
    if mode == "manifest":
        assert "decompression bomb" in report["outcome"]


def test_a_bomb_manifest_is_a_clear_error(faults: LoopbackSite) -> None:
    faults.on("/m.json", double_gzip_bomb(), repeat=True)
    with pytest.raises(ManifestError, match="decompression bomb"):
        load_manifest(faults.url + "/m.json")


# --- item 6: profile headers never follow a redirect to another origin ----------------------


def test_verify_sends_profile_headers_only_to_the_page_origin() -> None:
    with LoopbackSite() as home, LoopbackSite() as elsewhere:
        elsewhere.on("/landing", Reply(200, "other site"), repeat=True)
        home.on("/page", Reply(302, headers={"Location": elsewhere.url + "/landing"}), repeat=True)
        home.on("/here", Reply(302, headers={"Location": "/page2"}), repeat=True)
        home.on("/page2", Reply(200, "same site"), repeat=True)
        headers = [("X-Api-Key", "k-123456"), ("X-Vercel-Protection-Bypass", "bypass-789")]

        async def go() -> tuple[int | None, int | None]:
            async with make_client() as client:
                verifier = Verifier(client, headers=headers)
                away = await verifier.snapshot(home.url + "/page")
                near = await verifier.snapshot(home.url + "/here")
            return away.status, near.status

        assert asyncio.run(go()) == (200, 200)
    landed = [r for r in elsewhere.requests if r.path == "/landing"]
    assert landed, "the redirect was followed"
    for rec in landed:
        assert "x-api-key" not in rec.headers
        assert "x-vercel-protection-bypass" not in rec.headers
    same = [r for r in home.requests if r.path == "/page2"]
    assert same
    assert same[0].headers.get("x-api-key") == "k-123456"


# --- item 8: a total deadline on every network operation ------------------------------------


def test_manifest_fetch_has_a_total_deadline(faults: LoopbackSite) -> None:
    faults.on("/m.txt", header_drip(interval=0.05, lines=200, body=b"/a\n"), repeat=True)
    with manifest_client() as client, pytest.raises(ManifestError, match="did not finish"):
        fetch(client, faults.url + "/m.txt", source="m", max_bytes=1 << 20, deadline=1.0)


def test_manifest_body_drip_has_a_total_deadline(faults: LoopbackSite) -> None:
    faults.on("/m.txt", body_drip(interval=0.05, size=200), repeat=True)
    with manifest_client() as client, pytest.raises(ManifestError, match="did not finish"):
        fetch(client, faults.url + "/m.txt", source="m", max_bytes=1 << 20, deadline=1.0)


def test_doctor_home_page_drip_ends_as_timed_out(faults: LoopbackSite) -> None:
    faults.on("/", header_drip(interval=0.05, lines=200), repeat=True)
    profile = SiteProfile("drip", faults.url, timeout=1.0, retries=0)

    async def go() -> list[str]:
        async with make_client() as client:
            found = await check_endpoint(client, profile, None)
        return [f"{f.level}: {f.title}: {f.detail}" for f in found if f.level is Level.PROBLEM]

    problems = asyncio.run(go())
    assert any("Timed out" in p for p in problems), problems


@pytest.mark.parametrize("fault", [header_drip(interval=0.05, lines=200), body_drip(size=200)])
def test_verify_page_drip_ends_as_timed_out(faults: LoopbackSite, fault: Answer) -> None:
    faults.on("/page", fault, repeat=True)

    async def go() -> str | None:
        async with make_client() as client:
            state = await Verifier(client, timeout=1.0).snapshot(faults.url + "/page")
        return state.error

    error = asyncio.run(go())
    assert error is not None
    assert "timed out" in error
