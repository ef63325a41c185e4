"""Endpoint doctor against real loopback routes: sound, open to any secret, redirecting,
missing, down, behind TLS — and the ``isr-desk doctor`` command's lines and exit statuses."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from isr_desk.domain import Endpoint, Preset, SiteProfile
from isr_desk.services.doctor import PROBE_PATH, Finding, Level, check_endpoint, settings_findings
from isr_desk.services.http import make_client
from tests.helpers.sites import REVALIDATE_PATH, Behaviour, CaseSite, LoopbackSite, Reply, free_port

ISR = str(Path(sys.executable).with_name("isr-desk"))
BEARER = Endpoint(preset=Preset.BEARER)


def doctor(
    profile: SiteProfile,
    secret: str | None = None,
    *,
    path: str | None = None,
    verify: ssl.SSLContext | bool = True,
) -> list[Finding]:
    async def main() -> list[Finding]:
        async with make_client(verify=verify) as client:
            return await check_endpoint(client, profile, secret, path=path)

    return asyncio.run(main())


def levels(findings: list[Finding]) -> list[tuple[Level, str]]:
    return [(f.level, f.title) for f in findings]


def problems(findings: list[Finding]) -> list[str]:
    return [f.title for f in findings if f.level is Level.PROBLEM]


@pytest.fixture
def case(request: pytest.FixtureRequest) -> Iterator[CaseSite]:
    with CaseSite(request.param) as site:
        yield site


# --- routes -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", [Behaviour.REGENERATES], indirect=True)
def test_a_sound_bearer_route_passes_and_nothing_is_revalidated(case: CaseSite) -> None:
    found = doctor(SiteProfile("s", case.url, endpoint=BEARER))
    assert levels(found) == [
        (Level.OK, "Site reachable"),
        (Level.OK, "Rejects a request with a wrong secret"),
        (Level.OK, "Rejects a request with no secret"),
        (Level.INFO, "The stored secret was not tried"),
    ]
    assert case.revalidated == []
    wrong, missing = [r for r in case.requests if r.path == "/api/revalidate"]
    assert wrong.headers["authorization"].startswith("Bearer ")
    assert wrong.headers["authorization"] != f"Bearer {case.secret}"
    assert "authorization" not in missing.headers
    assert wrong.json() == {"path": PROBE_PATH}


@pytest.mark.parametrize("case", [Behaviour.REGENERATES], indirect=True)
def test_a_secret_in_the_query_string_is_a_warning_with_the_bearer_fix(case: CaseSite) -> None:
    found = doctor(SiteProfile("s", case.url))  # app-router: ?secret=
    (warning,) = [f for f in found if f.level is Level.WARNING]
    assert warning.title == "The secret is sent in the query string"
    assert "logs" in warning.detail
    assert "bearer preset" in warning.hint
    wrong, missing = [r for r in case.requests if r.path == "/api/revalidate"]
    assert wrong.query["secret"][0] not in ("", case.secret)
    assert "secret" not in missing.query
    assert problems(found) == []


@pytest.mark.parametrize("case", [Behaviour.ACCEPTS_ANY_SECRET], indirect=True)
def test_a_route_that_accepts_any_secret_is_a_security_problem(case: CaseSite) -> None:
    found = doctor(SiteProfile("s", case.url, endpoint=BEARER))
    assert problems(found) == [
        "The route accepts a request with a wrong secret",
        "The route accepts a request with no secret",
    ]
    assert all("answer 401" in f.hint for f in found if f.level is Level.PROBLEM)
    assert case.revalidated == [f"path:{PROBE_PATH}"] * 2  # a page no site has


@pytest.mark.parametrize("case", [Behaviour.REDIRECTS], indirect=True)
def test_a_redirecting_route_is_a_warning_and_is_not_followed(case: CaseSite) -> None:
    found = doctor(SiteProfile("s", case.url, endpoint=BEARER))
    (warning,) = [f for f in found if f.level is Level.WARNING]
    assert warning.title == "The revalidation route redirects"
    assert "308" in warning.detail
    assert case.url.replace("http:", "https:") in warning.detail
    assert problems(found) == []
    assert [r.path for r in case.requests] == ["/", "/api/revalidate"]  # one probe, no follow


def test_a_wrong_endpoint_path_is_a_problem(site: LoopbackSite) -> None:
    profile = SiteProfile("s", site.url, endpoint=Endpoint(preset=Preset.BEARER, path="/api/nope"))
    found = doctor(profile)
    assert problems(found) == ["Not found: POST " + site.url + "/api/nope answered 404"]
    assert "endpoint path" in next(f.hint for f in found if f.level is Level.PROBLEM)


def test_a_site_that_is_down_is_a_problem_and_stops_there() -> None:
    found = doctor(SiteProfile("s", f"http://127.0.0.1:{free_port()}", endpoint=BEARER))
    assert levels(found) == [
        (Level.PROBLEM, "Site unreachable"),
        (Level.INFO, "The stored secret was not tried"),
    ]
    assert "check the site URL" in found[0].hint


def test_odd_answers_are_warnings(site: LoopbackSite) -> None:
    site.on("/", lambda rec: Reply(500, "boom"), repeat=True)
    site.on(
        REVALIDATE_PATH,
        Reply(400, {"message": "Missing path"}),
        Reply(400, {"message": "Missing path"}),
    )
    found = doctor(SiteProfile("s", site.url, endpoint=BEARER))
    assert levels(found)[:3] == [
        (Level.WARNING, "The home page answers 500"),
        (Level.WARNING, "The route answered 400 to a request with a wrong secret"),
        (Level.WARNING, "The route answered 400 to a request with no secret"),
    ]


def test_a_base_url_that_redirects_elsewhere_is_a_warning(site: LoopbackSite) -> None:
    elsewhere = f"http://localhost:{site.port}/"
    site.on("/", lambda rec: Reply(301, b"", {"Location": elsewhere}), repeat=True)
    found = doctor(SiteProfile("s", site.url, endpoint=BEARER))
    assert found[0].title == "The site's address redirects"
    assert f"http://localhost:{site.port}" in found[0].hint


# --- the stored secret ------------------------------------------------------------------


@pytest.mark.parametrize("case", [Behaviour.REGENERATES], indirect=True)
def test_with_a_page_the_stored_secret_is_tried_and_never_shown(case: CaseSite) -> None:
    profile = SiteProfile("s", case.url)
    good = doctor(profile, case.secret, path="/a")
    assert (Level.OK, "The stored secret works: /a revalidated") in levels(good)
    assert case.revalidated == ["path:/a"]
    bad = doctor(profile, "not-the-secret-123", path="/a")
    assert problems(bad) == ["Revalidating /a failed: Wrong secret"]
    assert "ask your developer" in bad[-1].hint
    shown = json.dumps([f.to_json() for f in good + bad], ensure_ascii=False)
    assert case.secret not in shown
    assert "not-the-secret-123" not in shown
    assert "•••" in shown
    assert doctor(profile, None, path="/a")[-1].title == "No secret stored for this site"


# --- settings ---------------------------------------------------------------------------


def test_plain_http_to_another_host_is_a_problem_loopback_is_not() -> None:
    def titles(url: str, **kw: object) -> list[str]:
        return problems(settings_findings(SiteProfile("s", url, endpoint=BEARER, **kw)))

    assert titles("http://example.com") == ["The secret travels unencrypted to example.com"]
    assert titles("https://example.com") == []
    assert titles("http://localhost:3000") == []
    assert titles("http://127.0.0.1:3000") == []
    assert titles("http://[::1]:3000") == []
    both = settings_findings(
        SiteProfile("s", "https://a.example", instances=("https://a.example", "http://10.0.0.2"))
    )
    (problem,) = [f for f in both if f.level is Level.PROBLEM]
    assert problem.instance == "http://10.0.0.2"
    assert "https://10.0.0.2" in problem.hint


def test_pages_router_cannot_purge_tags_and_sends_the_secret_in_the_url() -> None:
    found = settings_findings(
        SiteProfile("s", "https://a.example", endpoint=Endpoint(preset=Preset.PAGES_ROUTER))
    )
    assert levels(found) == [
        (Level.WARNING, "The secret is sent in the query string"),
        (Level.INFO, "This preset cannot purge cache tags"),
    ]


# --- TLS --------------------------------------------------------------------------------


def _certificate(tmp_path: Path, days: int) -> tuple[Path, Path]:
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "isr-desk test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days, hours=12))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"cert{days}.pem", tmp_path / f"key{days}.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (5, (Level.WARNING, "The certificate expires in 5 days")),
        (90, (Level.OK, "Certificate valid")),
    ],
)
def test_certificate_trust_and_expiry(
    tmp_path: Path, days: int, expected: tuple[Level, str]
) -> None:
    cert, key = _certificate(tmp_path, days)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    with CaseSite(Behaviour.REGENERATES, tls=server_tls) as secure:
        profile = SiteProfile("s", secure.url, endpoint=BEARER)
        untrusted = doctor(profile)
        trusted = doctor(profile, verify=ssl.create_default_context(cafile=str(cert)))
    assert untrusted[0].level is Level.PROBLEM
    assert untrusted[0].title == "Certificate problem"
    assert "certificate" in untrusted[0].hint
    assert levels(trusted)[:2] == [(Level.OK, "Site reachable"), expected]
    assert problems(trusted) == []


# --- the CLI ----------------------------------------------------------------------------


def isr(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ISR, *args], input=stdin, capture_output=True, text=True, env=os.environ, timeout=120
    )


@pytest.mark.parametrize(
    ("behaviour", "code"), [(Behaviour.REGENERATES, 0), (Behaviour.ACCEPTS_ANY_SECRET, 1)]
)
def test_cli_doctor_lines_and_exit_status(
    behaviour: Behaviour, code: int, unique_name: str, real_keyring: object
) -> None:
    with CaseSite(behaviour) as case:
        added = isr("site", "add", unique_name, "--url", case.url, "--preset", "bearer",
                    "--secret-stdin", stdin=case.secret)  # fmt: skip
        assert added.returncode == 0, added.stderr
        text = isr("doctor", unique_name)
        as_json = isr("doctor", unique_name, "--json", "--path", "/a")
        isr("site", "remove", unique_name)
    assert text.returncode == code, text.stderr
    assert text.stdout.splitlines()[0] == "✓ Site reachable"
    if code:
        assert "✗ The route accepts a request with a wrong secret" in text.stdout
        assert text.stdout.rstrip().endswith("2 problems, 0 warnings.")
    else:
        assert "· The stored secret was not tried" in text.stdout
        assert text.stdout.rstrip().endswith("No problems found (0 warnings).")
    lines = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert as_json.returncode == code
    assert lines[-1]["summary"]["problems"] == 2 * code
    assert {"level", "title", "detail", "hint"} <= lines[0].keys()
    assert case.secret not in as_json.stdout + text.stdout
    assert "path:/a" in case.revalidated  # --path revalidated that one page


def test_cli_doctor_bad_input_exits_2(unique_name: str, real_keyring: object) -> None:
    missing = isr("doctor", "no-such-site")
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1
    with CaseSite(Behaviour.REGENERATES) as case:
        assert isr("site", "add", unique_name, "--url", case.url).returncode == 0
        tag = isr("doctor", unique_name, "--path", "tag:posts")
        isr("site", "remove", unique_name)
    assert tag.returncode == 2
    assert "not a tag" in tag.stderr


def test_check_endpoint_takes_any_async_client(site: LoopbackSite) -> None:
    async def main() -> list[Finding]:
        async with httpx.AsyncClient(trust_env=False) as client:
            return await check_endpoint(client, SiteProfile("s", site.url, endpoint=BEARER), None)

    assert problems(asyncio.run(main())) == []
