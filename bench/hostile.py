"""Hostile sites (issue 15): peak memory of each decompression bomb, wall time of each drip.

.venv/bin/python -m bench hostile            # every case, one line of figures each

Each case runs in a fresh interpreter (``child``) under an address-space limit, so a reader
that inflated a bomb would die of ``MemoryError`` instead of eating the machine; its peak
RSS (``VmHWM``) is what it reports. Goals (docs/reliability.md): a bomb read with under
150 MB peak; a drip ends within timeout x (retries + 1) + 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from typing import Any

BOMB_GOAL_MB = 150
TIMEOUT = 3.0  # the profile timeout of the drip cases (the issue's `--timeout 3`)
RETRIES = 2


def _child(mode: str, url: str, limit_mb: int) -> dict[str, Any]:
    limit = limit_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    started = time.monotonic()
    try:
        outcome = _run(mode, url)
        ok = True
    except MemoryError:
        outcome, ok = "MemoryError", False
    peak = _peak_rss_mb()
    return {
        "ok": ok,
        "mode": mode,
        "outcome": outcome,
        "peak_mb": round(peak, 1),
        "seconds": round(time.monotonic() - started, 2),
    }


def _peak_rss_mb() -> float:
    """This process's peak RSS: ``VmHWM`` belongs to its own memory map, whereas
    ``ru_maxrss`` can carry a parent's figure over fork and exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run(mode: str, url: str) -> str:
    from isr_desk.domain import SiteProfile
    from isr_desk.services.errors import IsrError

    if mode == "manifest":
        from isr_desk.services.manifest import load_manifest

        try:
            manifest = load_manifest(url)
        except IsrError as exc:
            return exc.describe()
        return f"{len(manifest.paths)} paths"
    profile = SiteProfile("hostile", url, timeout=TIMEOUT, retries=RETRIES)
    return asyncio.run(_async(mode, profile))


async def _async(mode: str, profile: Any) -> str:
    from isr_desk.services.doctor import check_endpoint
    from isr_desk.services.http import make_client
    from isr_desk.services.verify import Verifier

    async with make_client() as client:
        if mode == "doctor":
            findings = await check_endpoint(client, profile, None)
            return "; ".join(f"{f.level}: {f.title}" for f in findings)
        verifier = Verifier(client, timeout=profile.timeout, headers=profile.headers)
        state = await verifier.snapshot(profile.base_url + "/page")
        return state.error or f"HTTP {state.status}, sha256 {state.body_sha256}"


def _cases() -> list[tuple[str, str, str, Any]]:
    from tests.helpers.hostile import body_drip, double_gzip_bomb, header_drip
    from tests.helpers.sites import drip

    bomb = double_gzip_bomb()
    slow_head = header_drip(interval=1.0, lines=10_000)
    return [
        ("bomb", "manifest URL fetch", "manifest", ("/manifest.json", bomb)),
        ("bomb", "doctor probes", "doctor", ("/__isr-desk-doctor-probe", bomb)),
        ("bomb", "verify page fetch", "verify", ("/page", bomb)),
        ("drip", "manifest URL fetch, headers", "manifest", ("/manifest.json", slow_head)),
        ("drip", "manifest URL fetch, body", "manifest", ("/manifest.json", drip())),
        ("drip", "doctor GET /, headers", "doctor", ("/", slow_head)),
        ("drip", "doctor probes, body", "doctor", ("/__isr-desk-doctor-probe", drip())),
        ("drip", "verify page fetch, headers", "verify", ("/page", slow_head)),
        ("drip", "verify page fetch, body", "verify", ("/page", body_drip(interval=1.0))),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench.hostile")
    parser.add_argument("what", nargs="*", help="(internal) child MODE URL")
    parser.add_argument("--limit-mb", type=int, default=1536)
    args = parser.parse_args()
    if args.what and args.what[0] == "child":
        print(json.dumps(_child(args.what[1], args.what[2], args.limit_mb)))
        return 0
    from isr_desk.services.manifest import FETCH_TIMEOUT
    from tests.helpers.hostile import run_child
    from tests.helpers.sites import LoopbackSite

    # A manifest download has no profile: its timeout is FETCH_TIMEOUT with the default
    # retries; doctor and verify use the profile's (the issue's `--timeout 3`).
    goals = {
        "manifest": FETCH_TIMEOUT * (RETRIES + 1) + 5,
        "doctor": TIMEOUT * (RETRIES + 1) + 5,
        "verify": TIMEOUT * (RETRIES + 1) + 5,
    }
    print(f"goals: bomb peak < {BOMB_GOAL_MB} MB; drip within timeout x (retries {RETRIES} "
          f"+ 1) + 5 s: {goals['manifest']:g} s for a manifest download (timeout "
          f"{FETCH_TIMEOUT:g} s), {goals['doctor']:g} s for doctor and verify (timeout "
          f"{TIMEOUT:g} s)")  # fmt: skip
    failed = 0
    for kind, label, mode, (key, fault) in _cases():
        with LoopbackSite(any_secret=True) as server:
            server.on(key, fault, repeat=True)
            url = server.url + ("/manifest.json" if mode == "manifest" else "")
            report = run_child(mode, url, timeout=300)
        met = (
            report.get("peak_mb", 1e9) < BOMB_GOAL_MB
            if kind == "bomb"
            else report.get("seconds", 1e9) <= goals[mode]
        )
        failed += not met
        print(f"{kind:<5} {label:<30} peak {report.get('peak_mb', '?'):>6} MB  "
              f"{report.get('seconds', '?'):>6} s  {'met' if met else 'MISSED'}  "
              f"{str(report.get('outcome', report.get('stderr', '')))[:90]}")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
