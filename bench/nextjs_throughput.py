"""Revalidations per second against the real Next.js test site (tests/e2e/next_site).

Starts ``next start`` on the site's existing build (built by the end-to-end tests or
``scripts/setup-e2e.sh``; skipped when there is none), then sends path revalidations to its
``/api/revalidate`` route with the engine at several concurrencies, with
``xargs -P C curl`` and with ``wrk`` (when installed: C code, the most a client can get out
of the server), and prints the highest sustained rate of each. The site's own CPU
(node) is measured too: on 2 cores it shares the machine with the client.

    .venv/bin/python -m bench.nextjs_throughput [--n 3000] [--concurrency 8,16,32,64]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import throughput
from bench.throughput import Figure, run_engine, run_wrk, run_xargs_curl

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "tests" / "e2e" / "next_site"
NEXT_BIN = SITE / "node_modules" / "next" / "dist" / "bin" / "next"


class NextServer:
    """``next start`` on a free loopback port, with a temp data file and a fresh secret."""

    def __init__(self, workdir: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        data = workdir / "posts.json"
        shutil.copyfile(SITE / "data" / "posts.json", data)
        self.secret = secrets.token_urlsafe(18)
        env = dict(os.environ, NEXT_TELEMETRY_DISABLED="1", DATA_FILE=str(data))
        env["REVALIDATE_SECRET"] = self.secret
        cmd = ["node", str(NEXT_BIN), "start", "-H", "127.0.0.1", "-p", str(port)]
        self.log = (workdir / "next.log").open("wb")
        self.proc = subprocess.Popen(
            cmd, cwd=SITE, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{port}"
        self.endpoint = f"{self.url}/api/revalidate?secret={self.secret}"
        self._wait_ready()

    def _wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + 60
        with httpx.Client(trust_env=False, timeout=5.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise SystemExit("next start exited; see its log")
                try:
                    client.get(self.url + "/")
                    return
                except httpx.HTTPError:
                    time.sleep(0.2)  # polling a starting server
        raise SystemExit("next start was not ready in 60 s")

    def cpu(self) -> float:
        total = 0.0
        for pid_dir in Path("/proc").iterdir():
            if not pid_dir.name.isdigit():
                continue
            try:
                if os.getpgid(int(pid_dir.name)) != self.proc.pid:
                    continue
                fields = (pid_dir / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, ProcessLookupError):
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def close(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


def available() -> str | None:
    """Why the benchmark cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not NEXT_BIN.exists():
        return f"{NEXT_BIN} is missing (run scripts/setup-e2e.sh)"
    if not (SITE / ".next" / "BUILD_ID").exists():
        return "the test site is not built (run the e2e tests once)"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--concurrency", default="8,16,32,64")
    parser.add_argument("--curl-concurrency", type=int, default=32)
    parser.add_argument("--wrk-seconds", type=float, default=5.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    reason = available()
    if reason:
        print(f"# skipped: {reason}")
        return 0
    throughput.LATENCY = 0.0  # no fixed latency here: the ratio columns do not apply
    figures: list[Figure] = []
    print(f"# Next.js site, {args.n} paths; load {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="isr-bench-next-") as tmp:
        server = NextServer(Path(tmp))
        try:
            run_engine(server, 200, 8, secret=server.secret)  # warm up the route
            for conc in (int(c) for c in args.concurrency.split(",")):
                s0 = server.cpu()
                figure = run_engine(server, args.n, conc, secret=server.secret)
                figure.server_cpu_s = server.cpu() - s0
                figure.name = f"engine c{conc}"
                figures.append(figure)
                print(f"  {figure.name}: {figure.per_s:.0f}/s", flush=True)
            s0 = server.cpu()
            figure = run_xargs_curl(server, min(args.n, 1000), args.curl_concurrency)
            figure.server_cpu_s = server.cpu() - s0
            figure.name = f"xargs-curl c{args.curl_concurrency}"
            figures.append(figure)
            for conc in (16, 32) if shutil.which("wrk") else ():
                s0 = server.cpu()
                figure = run_wrk(server, conc, args.wrk_seconds)
                figure.server_cpu_s = server.cpu() - s0
                figure.name = f"wrk c{conc}"
                figures.append(figure)
        finally:
            server.close()
    print(f"{'tool':<16} {'n':>6} {'wall s':>7} {'rev/s':>7} {'p50 ms':>7} {'p95 ms':>7}", end="")
    print(f" {'ok':>6} {'client CPU s':>12} {'node CPU s':>10}")
    for f in figures:
        cpu = f"{f.client_cpu_s:12.2f}" if f.client_cpu_s is not None else ""
        print(f"{f.name:<16} {f.targets:>6} {f.wall_s:7.2f} {f.per_s:7.0f} {f.p50_ms:7.1f}", end="")
        print(f" {f.p95_ms:7.1f} {f.ok:>6} {cpu:>12} {f.server_cpu_s:10.2f}")
    best = max((f for f in figures if f.name.startswith("engine")), key=lambda f: f.per_s)
    print(f"# highest engine rate: {best.per_s:.0f} revalidations/s ({best.name})")
    if args.json:
        data = [dict(f.__dict__, per_s=f.per_s) for f in figures]
        args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
