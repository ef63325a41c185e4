"""The fake sites' old module names still work for branches written before tests/helpers/sites.

TODO(lead): delete with tests/helpers/{servers,ci_servers,faults}.py once every branch that
imported them has landed.
"""

from __future__ import annotations

import httpx

from tests.helpers import ci_servers, faults, keyrings, servers, sites


def test_the_old_loopback_site_scripts_and_routes_through_on() -> None:
    with servers.LoopbackSite() as site, httpx.Client() as client:
        site.script(servers.Reply(503, "busy"))
        site.route("/page", lambda rec: servers.Reply(200, "page"))
        url = f"{site.url}{servers.REVALIDATE_PATH}?secret={site.secret}"
        assert client.post(url, json={"path": "/a"}).status_code == 503
        assert client.post(url, json={"path": "/a"}).status_code == 200  # then its own route
        assert [client.get(f"{site.url}/page").text for _ in range(2)] == ["page", "page"]


def test_the_old_fault_server_repeats_its_last_fault_and_takes_any_secret() -> None:
    with faults.FaultServer() as server, httpx.Client() as client:
        server.on("/a", faults.respond(502))
        url = f"{server.url}/api/revalidate?secret=anything"
        assert [client.post(url, json={"path": p}).status_code for p in ("/a", "/a", "/b")] == [
            502,
            502,
            200,
        ]
        assert server.count("/a") == 2
        assert len(server.seen) == 3


def test_the_old_names_are_the_new_ones() -> None:
    assert ci_servers.CaseSite is sites.CaseSite
    assert faults.make_certs is sites.make_certs
    assert faults.LockedKeyring is keyrings.LockedKeyring
