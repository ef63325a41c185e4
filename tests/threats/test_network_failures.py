"""A failing network *setting* is told apart from a failing site (docs/networks.md): a CA
bundle file that is missing, unreadable or not PEM; a proxy that refuses the connection,
asks for a login (407) or cannot reach the site. Each gets its own error and a hint naming
the setting to fix — in a run's result and in the doctor.

Real parts: a recording forward proxy on 127.0.0.1 (tests/helpers/proxy.py), a loopback TLS
site signed by a CA made in the test (tests/helpers/tls.py), ports nobody listens on.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from isr_desk.domain import Outcome, Result, SiteProfile, Target
from isr_desk.services.doctor import Finding, Level, check_endpoint
from isr_desk.services.errors import ManifestError
from isr_desk.services.http import Network, make_client
from isr_desk.services.manifest import load_manifest
from isr_desk.services.revalidation import Revalidator
from tests.helpers.proxy import ForwardProxy
from tests.helpers.sites import LoopbackSite
from tests.helpers.tls import PrivateCA, make_private_ca

PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def private_ca(tmp_path: Path) -> PrivateCA:
    return make_private_ca(tmp_path / "ca")


@pytest.fixture
def tls_site(private_ca: PrivateCA) -> Iterator[LoopbackSite]:
    with LoopbackSite(tls=private_ca.server_context()) as server:
        yield server


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def revalidate(profile: SiteProfile, secret: str = "s3cret-value") -> Result:
    async def go() -> list[Result]:
        async with make_client() as client:
            run = Revalidator(client).start(profile, secret, [Target.path("/a")])
            return [r async for r in run]

    (result,) = asyncio.run(go())
    return result


def doctor(profile: SiteProfile) -> list[Finding]:
    async def go() -> list[Finding]:
        async with make_client(profile=profile) as client:
            return await check_endpoint(client, profile, None)

    return asyncio.run(go())


# --- the CA bundle ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda folder: folder / "nope.pem", "does not exist"),
        (lambda folder: folder, "is a directory, not a file"),
        (
            lambda folder: _write(folder / "notes.pem", "not a certificate\n"),
            "holds no PEM certificate",
        ),
    ],
)
def test_an_unusable_ca_bundle_names_the_file_and_the_setting(
    tls_site: LoopbackSite, tmp_path: Path, make: object, why: str
) -> None:
    bundle = make(tmp_path)  # type: ignore[operator]
    profile = SiteProfile("corp", tls_site.url, retries=0, ca_bundle=str(bundle))
    result = revalidate(profile, tls_site.secret)
    assert (result.ok, result.outcome) == (False, Outcome.TLS_ERROR)
    assert result.error == f"The CA bundle {bundle} set for this site {why}"
    assert result.hint is not None
    assert "--ca-bundle FILE" in result.hint
    assert "not trusted" not in result.hint  # not the site's certificate
    assert tls_site.requests == []
    (finding,) = [f for f in doctor(profile) if f.level is Level.PROBLEM]
    assert finding.title == "The site's CA bundle cannot be used"
    assert "--ca-bundle FILE" in (finding.hint or "")


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --- the proxy ----------------------------------------------------------------------------


def test_a_proxy_refusing_the_connection_names_the_profiles_proxy_setting(
    site: LoopbackSite,
) -> None:
    proxy = f"http://127.0.0.1:{closed_port()}"
    profile = SiteProfile("corp", site.url, retries=0, proxy=proxy)
    result = revalidate(profile, site.secret)
    assert (result.ok, result.outcome) == (False, Outcome.UNREACHABLE)
    assert (result.error or "").startswith(f"Could not connect to the proxy {proxy} (")
    assert result.hint is not None
    assert "--proxy URL" in result.hint
    assert "check the site URL" not in result.hint
    assert site.requests == []
    (finding,) = [f for f in doctor(profile) if f.level is Level.PROBLEM]
    assert finding.title == "The proxy refused the connection"
    assert "--proxy URL" in (finding.hint or "")


def test_a_proxy_from_the_environment_is_named_without_its_password(
    monkeypatch: pytest.MonkeyPatch, tls_site: LoopbackSite, private_ca: PrivateCA
) -> None:
    port = closed_port()
    monkeypatch.setenv("HTTPS_PROXY", f"http://me:pr0xy-pa55@127.0.0.1:{port}")
    profile = SiteProfile("corp", tls_site.url, retries=0, ca_bundle=str(private_ca.ca_file))
    result = revalidate(profile, tls_site.secret)
    assert (result.error or "").startswith(
        f"Could not connect to the proxy http://127.0.0.1:{port}"
    )
    assert "HTTPS_PROXY" in (result.hint or "")
    assert "pr0xy-pa55" not in f"{result.error} {result.hint}"


@pytest.mark.parametrize("tls", [False, True], ids=["http-absolute-form", "https-connect"])
def test_a_proxy_asking_for_a_login_says_where_the_login_goes(
    site: LoopbackSite, tls_site: LoopbackSite, tls: bool
) -> None:
    target = tls_site if tls else site
    with ForwardProxy(login=True) as proxy:
        profile = SiteProfile("corp", target.url, retries=2, proxy=proxy.url)
        result = revalidate(profile, target.secret)
        assert len(proxy.requests) == 1  # a login will not come by retrying
    assert (result.ok, result.outcome) == (False, Outcome.OTHER)
    assert result.error == (
        f"The proxy {proxy.url} asks for a login (407 Proxy Authentication Required)"
    )
    assert "HTTPS_PROXY environment variable" in (result.hint or "")
    assert target.requests == []
    with ForwardProxy(login=True) as proxy:
        profile = SiteProfile("corp", target.url, retries=0, proxy=proxy.url)
        titles = [f.title for f in doctor(profile) if f.level is Level.PROBLEM]
    assert titles == ["The proxy asks for a login"]


def test_a_proxy_that_cannot_reach_the_site_says_so_not_that_the_site_threw() -> None:
    port = closed_port()
    with ForwardProxy() as proxy:
        https = revalidate(SiteProfile("corp", f"https://127.0.0.1:{port}", retries=0,
                                       proxy=proxy.url))  # fmt: skip
        http = revalidate(SiteProfile("corp", f"http://127.0.0.1:{port}", retries=0,
                                      proxy=proxy.url))  # fmt: skip
    # CONNECT answered 502: the proxy's answer, for certain.
    assert (https.ok, https.outcome) == (False, Outcome.UNREACHABLE)
    assert https.error == f"The proxy {proxy.url} could not reach 127.0.0.1 (502 Bad Gateway)"
    assert "Check the site's address" in (https.hint or "")
    assert "--proxy URL" in (https.hint or "")
    # An http request's 502 may be the proxy's or the route's: the hint says both.
    assert (http.status, http.outcome) == (502, Outcome.SERVER_ERROR)
    assert http.hint is not None
    assert f"came through the proxy {proxy.url}" in http.hint
    assert "could not reach 127.0.0.1" in http.hint


def test_a_manifest_url_through_a_proxy_asking_for_a_login_says_so(site: LoopbackSite) -> None:
    with ForwardProxy(login=True) as proxy:
        network = Network(proxy=proxy.url)
        with pytest.raises(ManifestError) as caught:
            load_manifest(f"{site.url}/isr-manifest.json", base_url=site.url, network=network)
    assert "asks for a login (407 Proxy Authentication Required)" in caught.value.message
    assert "HTTPS_PROXY environment variable" in (caught.value.hint or "")
