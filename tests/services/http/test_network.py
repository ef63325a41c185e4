"""Company networks: a forward proxy (from the environment or the profile) and a private CA,
for the engine, verify, doctor and manifest URLs alike (docs/networks.md).

Real parts only: a recording forward proxy on 127.0.0.1 (tests/helpers/proxy.py) and a
loopback TLS site whose certificate a CA made in the test signed (tests/helpers/tls.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from isr_desk.domain import Outcome, Result, SiteProfile, Target
from isr_desk.services.doctor import Level, check_endpoint
from isr_desk.services.errors import InvalidProfileError
from isr_desk.services.http import Network, make_client
from isr_desk.services.http._network import _bypassed, environment_proxies, proxy_for
from isr_desk.services.manifest import load_manifest
from isr_desk.services.revalidation import Revalidator
from isr_desk.services.sites import validate_profile
from isr_desk.services.verify import Verifier
from tests.helpers.proxy import ForwardProxy
from tests.helpers.sites import LoopbackSite, Reply
from tests.helpers.tls import PrivateCA, make_private_ca

PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy() as server:
        yield server


@pytest.fixture
def private_ca(tmp_path: Path) -> PrivateCA:
    return make_private_ca(tmp_path / "ca")


@pytest.fixture
def tls_site(private_ca: PrivateCA) -> Iterator[LoopbackSite]:
    with LoopbackSite(tls=private_ca.server_context()) as server:
        yield server


def revalidate(profile: SiteProfile, secret: str, *paths: str) -> list[Result]:
    async def go() -> list[Result]:
        async with make_client() as client:
            run = Revalidator(client).start(profile, secret, [Target.path(p) for p in paths])
            return [r async for r in run]

    return asyncio.run(go())


# --- https through a proxy: CONNECT, and the secret never in clear ------------------------


def test_https_goes_through_the_environments_proxy_in_a_connect_tunnel(
    monkeypatch: pytest.MonkeyPatch,
    proxy: ForwardProxy,
    tls_site: LoopbackSite,
    private_ca: PrivateCA,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    profile = SiteProfile("corp", tls_site.url, retries=0, ca_bundle=str(private_ca.ca_file))
    (result,) = revalidate(profile, tls_site.secret, "/blog/a")
    assert (result.ok, result.status) == (True, 200)
    assert tls_site.revalidated == ["path:/blog/a"]
    assert proxy.requests == [("CONNECT", f"127.0.0.1:{tls_site.port}")]
    # The proxy carried the request, but only as TLS records: no secret, no path in clear.
    assert tls_site.secret.encode() not in proxy.seen
    assert b"/api/revalidate" not in proxy.seen
    assert b"/blog/a" not in proxy.seen


def test_http_goes_to_the_proxy_in_absolute_form(
    monkeypatch: pytest.MonkeyPatch, proxy: ForwardProxy, site: LoopbackSite
) -> None:
    monkeypatch.setenv("http_proxy", proxy.url)  # lower case, as curl reads it too
    profile = SiteProfile("plain", site.url, retries=0)
    results = revalidate(profile, site.secret, "/a", "/b")
    assert [r.ok for r in results] == [True, True]
    assert sorted(site.revalidated) == ["path:/a", "path:/b"]
    targets = {target for _, target in proxy.requests}
    assert {method for method, _ in proxy.requests} == {"POST"}
    assert targets == {f"{site.url}/api/revalidate?secret={site.secret}"}


def test_no_proxy_sends_listed_hosts_direct(
    monkeypatch: pytest.MonkeyPatch, proxy: ForwardProxy, site: LoopbackSite
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.0/8")
    (result,) = revalidate(SiteProfile("plain", site.url, retries=0), site.secret, "/a")
    assert result.ok
    assert proxy.requests == []
    assert proxy.seen == b""


def test_a_profiles_proxy_wins_over_the_environment_and_direct_skips_it(
    monkeypatch: pytest.MonkeyPatch, proxy: ForwardProxy, site: LoopbackSite
) -> None:
    (result,) = revalidate(SiteProfile("p", site.url, proxy=proxy.url), site.secret, "/a")
    assert result.ok
    assert [m for m, _ in proxy.requests] == ["POST"]  # no environment proxy: the profile's
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    (result,) = revalidate(SiteProfile("d", site.url, proxy="direct"), site.secret, "/b")
    assert result.ok
    assert len(proxy.requests) == 1  # "direct": the environment's proxy was not used
    assert site.revalidated == ["path:/a", "path:/b"]


# --- a private CA: the profile's bundle, SSL_CERT_FILE, and a clear failure without ---------


def test_a_private_ca_site_fails_without_its_bundle_and_works_with_it(
    tls_site: LoopbackSite, private_ca: PrivateCA
) -> None:
    bare = SiteProfile("corp", tls_site.url, retries=0)
    (failed,) = revalidate(bare, tls_site.secret, "/a")
    assert (failed.ok, failed.outcome) == (False, Outcome.TLS_ERROR)
    assert "certificate" in (failed.hint or "").lower()
    trusted = SiteProfile("corp", tls_site.url, retries=0, ca_bundle=str(private_ca.ca_file))
    (result,) = revalidate(trusted, tls_site.secret, "/a")
    assert result.ok
    assert result.timing is not None
    assert result.timing.tls_ms is not None


def test_the_system_trust_store_follows_ssl_cert_file(
    monkeypatch: pytest.MonkeyPatch, tls_site: LoopbackSite, private_ca: PrivateCA
) -> None:
    """truststore on Linux reads OpenSSL's default paths: an administrator's SSL_CERT_FILE
    (or a CA installed in the system store) is trusted with no setting in ISR Desk."""
    monkeypatch.setenv("SSL_CERT_FILE", str(private_ca.ca_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    (result,) = revalidate(SiteProfile("corp", tls_site.url, retries=0), tls_site.secret, "/a")
    assert result.ok


def test_a_missing_ca_bundle_is_a_plain_failure(tls_site: LoopbackSite, tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.pem")
    (result,) = revalidate(
        SiteProfile("corp", tls_site.url, retries=0, ca_bundle=missing), tls_site.secret, "/a"
    )
    assert not result.ok
    assert "nope.pem" in (result.error or "")


# --- doctor, verify and manifest URLs take the same way -----------------------------------


def test_doctor_verify_and_manifest_urls_use_the_proxy_and_the_ca_bundle(
    monkeypatch: pytest.MonkeyPatch,
    proxy: ForwardProxy,
    tls_site: LoopbackSite,
    private_ca: PrivateCA,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    manifest = {"version": 1, "paths": [{"path": "/a", "tags": ["posts"]}]}
    tls_site.on("/isr-manifest.json", lambda rec: Reply(200, manifest), repeat=True)
    tls_site.on("/a", lambda rec: Reply(200, "page", headers={"ETag": '"1"'}), repeat=True)
    profile = validate_profile(SiteProfile("corp", tls_site.url, ca_bundle=str(private_ca.ca_file)))

    loaded = load_manifest(
        f"{tls_site.url}/isr-manifest.json", base_url=profile.base_url, network=Network.of(profile)
    )
    assert [p.path for p in loaded.paths] == ["/a"]

    async def doctor_and_verify() -> tuple[list[Level], int | None]:
        async with make_client(profile=profile) as client:
            findings = await check_endpoint(client, profile, None)
            page = await Verifier(client, timeout=5).snapshot(f"{tls_site.url}/a")
        return [f.level for f in findings], page.status

    levels, status = asyncio.run(doctor_and_verify())
    assert Level.PROBLEM not in levels
    assert status == 200
    # Every request of the three went through the proxy, each origin in a CONNECT tunnel.
    assert {m for m, _ in proxy.requests} == {"CONNECT"}
    assert len(proxy.requests) >= 3
    assert tls_site.count("/isr-manifest.json") == 1
    assert tls_site.count("/a") == 1


# --- the rules, one by one --------------------------------------------------------------


@pytest.mark.parametrize(
    ("no_proxy", "host", "port", "bypassed"),
    [
        ("*", "example.com", 443, True),
        ("example.com", "example.com", 443, True),
        ("example.com", "www.example.com", 443, True),
        (".example.com", "www.example.com", 443, True),
        ("example.com", "badexample.com", 443, False),
        ("intranet:8080", "intranet", 8080, True),
        ("intranet:8080", "intranet", 443, False),
        ("10.0.0.0/8", "10.1.2.3", 80, True),
        ("10.0.0.0/8", "11.1.2.3", 80, False),
        ("::1", "[::1]", 80, True),
        ("", "example.com", 443, False),
    ],
)
def test_no_proxy_rules(no_proxy: str, host: str, port: int, bypassed: bool) -> None:
    assert _bypassed(host, port, {"no": no_proxy}) is bypassed


def test_environment_proxies_lower_case_wins_and_all_proxy_is_the_fallback() -> None:
    env = {"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:1", "ALL_PROXY": "h:2"}
    proxies = environment_proxies(env)
    assert proxies["https"] == "http://lower:1"
    assert proxy_for(("http", "a.example", 80), Network(), proxies) == "http://h:2"
    assert proxy_for(("https", "a.example", 443), Network(proxy="direct"), proxies) is None


def test_a_proxy_password_is_refused_in_a_profile() -> None:
    with pytest.raises(InvalidProfileError, match="password"):
        validate_profile(SiteProfile("s", "https://a.example", proxy="http://u:pw@proxy:3128"))
    with pytest.raises(InvalidProfileError, match="not a proxy"):
        validate_profile(SiteProfile("s", "https://a.example", proxy="ftp://proxy"))
    ok = validate_profile(SiteProfile("s", "https://a.example", proxy=" proxy.corp:3128 "))
    assert ok.proxy == "http://proxy.corp:3128"


def test_the_user_agent_and_the_site_see_the_same_request_through_a_proxy(
    monkeypatch: pytest.MonkeyPatch, proxy: ForwardProxy, site: LoopbackSite
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    revalidate(SiteProfile("plain", site.url, retries=0), site.secret, "/a")
    (request,) = site.requests
    assert request.headers["user-agent"].startswith("isr-desk/")
    assert json.loads(request.body) == {"path": "/a"}
    assert isinstance(httpx.URL(proxy.url).port, int)


def test_the_demo_site_is_reached_directly_whatever_the_environment_says(
    monkeypatch: pytest.MonkeyPatch, proxy: ForwardProxy
) -> None:
    """A company proxy cannot reach this machine's loopback: the demo site says "direct"."""
    from isr_desk.services.demo import DemoSite

    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    with DemoSite(seed=1) as demo:
        profile = demo.profile()
        assert profile.proxy == "direct"
        manifest = load_manifest(
            profile.manifest_source or "", base_url=profile.base_url, network=Network.of(profile)
        )
        path = manifest.paths[0].path
        results = revalidate(profile, demo.secret, path)
    assert results[0].status is not None
    assert proxy.requests == []
