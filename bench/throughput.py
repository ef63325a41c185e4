"""Bulk throughput: the ISR Desk engine and CLI beside the tools a user would otherwise use.

Starts ``bench.latency_server`` (fixed latency, keep-alive) in its own process, then in the
same run sends the same N path revalidations (``POST /api/revalidate?secret=…`` with
``{"path": P}``) with:

* ``engine``  — :class:`Revalidator` on :func:`make_client` (in this process);
* ``engine-batch`` — the same, batch mode (``--batch`` paths per request);
* ``cli``     — ``isr-desk revalidate NAME --from-file F --concurrency C --json``
  (a temp ``ISR_DESK_HOME``, secret through ``--secret-stdin``; wall time includes start-up);
* ``httpx``   — a plain asyncio + httpx script: one client, a semaphore, ``gather``;
* ``xargs-curl`` — ``xargs -P C curl`` (one curl process per request);
* ``wrk``     — ``wrk -c C`` with a Lua script giving each request its own path (C, one
  thread; time-based: it runs for about as long as the ideal run and reports its rate);
* ``curl-seq``   — a sequential curl loop, sampled (``--seq-sample`` requests, extrapolated);
* ``cli-1k``  — the issue-2 figure: 1,000 paths at concurrency 16 through the CLI.

For each: wall time, requests/s, ratio to the ideal N x latency / concurrency, p50/p95 per
request, client and server CPU. Goals (docs/performance.md): engine <= 1.15 x ideal and no slower
than ``xargs -P 32 curl``.

    .venv/bin/python -m bench.throughput [--n 10000] [--concurrency 32] [--latency 0.02]
        [--only engine,cli,...] [--json results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.latency_server import SECRET
from isr_desk.domain import SiteProfile, Target, percentile

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / ".venv" / "bin" / "isr-desk"
ALL = ("engine", "engine-batch", "cli", "httpx", "xargs-curl", "wrk", "curl-seq", "cli-1k")
# wrk: each request its own {"path": ...} body; done() prints what the figures need.
_WRK_SCRIPT = """
local i = 0
request = function()
  i = i + 1
  local body = '{"path":"/bench/page-' .. i .. '"}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  local failed = e.connect + e.read + e.write + e.timeout + e.status
  io.write(string.format("WRK %d %d %d %.1f %.1f\\n", summary.requests, summary.duration,
    failed, latency:percentile(50), latency:percentile(95)))
end
"""


@dataclass
class Figure:
    """One tool's figures for one load."""

    name: str
    requests: int
    targets: int
    concurrency: int
    wall_s: float
    ideal_s: float
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    ok: int = 0
    client_cpu_s: float | None = None
    server_cpu_s: float = 0.0
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def per_s(self) -> float:
        return self.targets / self.wall_s if self.wall_s else 0.0

    @property
    def ratio(self) -> float:
        return self.wall_s / self.ideal_s if self.ideal_s else 0.0


# --- the server ----------------------------------------------------------------------------


class Server:
    """``bench.latency_server`` in a child process (its CPU is measured apart)."""

    def __init__(self, latency: float, workers: int) -> None:
        cmd = [sys.executable, "-m", "bench.latency_server", "--latency", str(latency)]
        cmd += ["--workers", str(workers)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://"):
            raise SystemExit("the latency server did not start")
        self.endpoint = f"{self.url}/api/revalidate?secret={SECRET}"

    def cpu(self) -> float:
        """User + system CPU seconds of the server and its worker processes."""
        pids = [self.proc.pid]
        with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
            pids += [int(p) for p in f.read().split()]
        total = 0.0
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- the contenders ------------------------------------------------------------------------


def paths(n: int) -> list[str]:
    return [f"/bench/page-{i}" for i in range(n)]


def run_engine(
    server: Any, n: int, conc: int, batch: int | None = None, *, secret: str = SECRET
) -> Figure:
    from isr_desk.services.http import make_client
    from isr_desk.services.revalidation import Revalidator, RunOptions

    profile = SiteProfile(name="bench", base_url=server.url)
    targets = [Target.path(p) for p in paths(n)]
    options = RunOptions(concurrency=conc, retries=0, batch_size=batch)

    async def go() -> tuple[list[float], int]:
        async with make_client() as client:
            run = Revalidator(client).start(profile, secret, targets, options)
            durations = [r.duration_ms async for r in run]
            return durations, run.summary().ok

    cpu0, t0 = time.process_time(), time.perf_counter()
    durations, ok = asyncio.run(go())
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    requests = n if not batch else -(-n // batch)
    return Figure(
        name="engine" if not batch else "engine-batch",
        requests=requests,
        targets=n,
        concurrency=conc,
        wall_s=wall,
        ideal_s=max(requests / conc, 1) * LATENCY,
        p50_ms=percentile(durations, 0.5),
        p95_ms=percentile(durations, 0.95),
        ok=ok,
        client_cpu_s=cpu,
        note=f"{batch} paths per request" if batch else "",
    )


def run_cli(server: Server, n: int, conc: int, name: str = "cli") -> Figure:
    with tempfile.TemporaryDirectory(prefix="isr-bench-") as tmp:
        env = dict(os.environ, ISR_DESK_HOME=tmp)
        list_file = Path(tmp) / "paths.txt"
        list_file.write_text("\n".join(paths(n)) + "\n", encoding="utf-8")
        subprocess.run(
            [str(CLI), "site", "add", "bench", "--url", server.url],
            env=env,
            check=True,
            capture_output=True,
        )
        cmd = [str(CLI), "revalidate", "bench", "--from-file", str(list_file)]
        cmd += ["--concurrency", str(conc), "--retries", "0", "--json", "--secret-stdin"]
        cpu0, t0 = _children_cpu(), time.perf_counter()
        done = subprocess.run(
            cmd, env=env, input=SECRET + "\n", capture_output=True, text=True, check=False
        )
        wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    lines = done.stdout.strip().splitlines()
    summary = json.loads(lines[-1])["summary"] if lines else {}
    if done.returncode not in (0, 1) or not summary:
        raise SystemExit(f"the CLI failed ({done.returncode}): {done.stderr.strip()[:300]}")
    return Figure(
        name=name,
        requests=n,
        targets=n,
        concurrency=conc,
        wall_s=wall,
        ideal_s=n * LATENCY / conc,
        p50_ms=summary["p50_ms"],
        p95_ms=summary["p95_ms"],
        ok=summary["ok"],
        client_cpu_s=cpu,
        note="process start to exit; JSON lines out; history recorded",
        extra={"engine_run_s": summary["duration_ms"] / 1000},
    )


def run_httpx(server: Server, n: int, conc: int) -> Figure:
    import httpx

    async def go() -> list[float]:
        durations: list[float] = []
        gate = asyncio.Semaphore(conc)
        async with httpx.AsyncClient(timeout=10.0) as client:

            async def one(path: str) -> None:
                async with gate:
                    t0 = time.perf_counter()
                    r = await client.post(server.endpoint, json={"path": path})
                    r.raise_for_status()
                    durations.append((time.perf_counter() - t0) * 1000)

            await asyncio.gather(*(one(p) for p in paths(n)))
        return durations

    cpu0, t0 = time.process_time(), time.perf_counter()
    durations = asyncio.run(go())
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return Figure(
        name="httpx",
        requests=n,
        targets=n,
        concurrency=conc,
        wall_s=wall,
        ideal_s=n * LATENCY / conc,
        p50_ms=percentile(durations, 0.5),
        p95_ms=percentile(durations, 0.95),
        ok=len(durations),
        client_cpu_s=cpu,
        note="AsyncClient defaults, Semaphore, gather",
    )


def _curl_args(server: Any) -> list[str]:
    return [
        "curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}\\n",
        "-X", "POST", "-H", "Content-Type: application/json",
    ]  # fmt: skip


def _curl_figure(name: str, out: str, **kw: object) -> tuple[list[float], int]:
    durations, ok = [], 0
    for line in out.splitlines():
        code, _, seconds = line.partition(" ")
        ok += code == "200"
        durations.append(float(seconds) * 1000)
    return durations, ok


def run_xargs_curl(server: Any, n: int, conc: int) -> Figure:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths(n)) + "\n")
    args = [*_curl_args(server), "-d", '{"path":"{}"}', server.endpoint]
    cmd = ["xargs", "-P", str(conc), "-I{}", *args]
    cpu0, t0 = _children_cpu(), time.perf_counter()
    with open(f.name) as stdin:
        done = subprocess.run(cmd, stdin=stdin, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    os.unlink(f.name)
    durations, ok = _curl_figure("xargs-curl", done.stdout)
    return Figure(
        name="xargs-curl",
        requests=n,
        targets=n,
        concurrency=conc,
        wall_s=wall,
        ideal_s=n * LATENCY / conc,
        p50_ms=percentile(durations, 0.5),
        p95_ms=percentile(durations, 0.95),
        ok=ok,
        client_cpu_s=cpu,
        note="one curl process per request",
    )


def run_wrk(server: Any, conc: int, seconds: float) -> Figure:
    """``wrk`` for ``seconds`` at ``conc`` connections (one thread): its sustained rate."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(_WRK_SCRIPT)
    cmd = ["wrk", "-t", "1", "-c", str(conc), "-d", f"{seconds:.0f}s", "--timeout", "10s"]
    cpu0 = _children_cpu()
    done = subprocess.run(
        [*cmd, "-s", f.name, server.endpoint], capture_output=True, text=True, check=False
    )
    cpu = _children_cpu() - cpu0
    os.unlink(f.name)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr.strip()[:300]}")
    requests, micros, failed, p50_us, p95_us = (float(x) for x in line.split()[1:])
    return Figure(
        name="wrk",
        requests=int(requests),
        targets=int(requests),
        concurrency=conc,
        wall_s=micros / 1e6,
        ideal_s=requests * LATENCY / conc,
        p50_ms=p50_us / 1000,
        p95_ms=p95_us / 1000,
        ok=int(requests - failed),
        client_cpu_s=cpu,
        note=f"time-based ({seconds:.0f} s), one thread, Lua body per request",
    )


def run_curl_seq(server: Server, n: int, sample: int) -> Figure:
    args = _curl_args(server)
    script = 'while read -r p; do curl "$@" -d "{\\"path\\":\\"$p\\"}" "$URL"; done'
    env = dict(os.environ, URL=server.endpoint)
    cpu0, t0 = _children_cpu(), time.perf_counter()
    done = subprocess.run(
        ["sh", "-c", script, "sh", *args[1:]],
        input="\n".join(paths(sample)) + "\n",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    durations, ok = _curl_figure("curl-seq", done.stdout)
    scale = n / sample
    return Figure(
        name="curl-seq",
        requests=n,
        targets=n,
        concurrency=1,
        wall_s=wall * scale,
        ideal_s=n * LATENCY,
        p50_ms=percentile(durations, 0.5),
        p95_ms=percentile(durations, 0.95),
        ok=round(ok * scale),
        client_cpu_s=cpu * scale,
        note=f"{sample} sent, extrapolated x{scale:g}",
    )


# --- report --------------------------------------------------------------------------------


def table(figures: list[Figure], conc: int) -> str:
    xargs = next((f for f in figures if f.name == "xargs-curl"), None)
    head = (
        f"{'tool':<13} {'targets':>7} {'req':>6} {'conc':>4} {'wall s':>8} {'targets/s':>9}"
        f" {'/ideal':>7} {'/xargs':>7} {'p50 ms':>7} {'p95 ms':>7} {'ok':>6}"
        f" {'cli CPU ms/req':>14} {'srv CPU ms/req':>14}  note"
    )
    rows = [head, "-" * len(head)]
    for f in figures:
        vs = (
            f"{f.wall_s / xargs.wall_s:7.2f}" if xargs and f.targets == xargs.targets else "      -"
        )
        cpu = f"{f.client_cpu_s * 1000 / f.requests:14.3f}" if f.client_cpu_s is not None else ""
        rows.append(
            f"{f.name:<13} {f.targets:>7} {f.requests:>6} {f.concurrency:>4} {f.wall_s:8.2f}"
            f" {f.per_s:9.0f} {f.ratio:7.2f} {vs} {f.p50_ms:7.1f} {f.p95_ms:7.1f} {f.ok:>6}"
            f" {cpu:>14} {f.server_cpu_s * 1000 / f.requests:14.3f}  {f.note}"
        )
    return "\n".join(rows)


LATENCY = 0.02


def main(argv: list[str] | None = None) -> int:
    global LATENCY
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--batch", type=int, default=100, help="paths per batch request")
    parser.add_argument("--seq-sample", type=int, default=200)
    parser.add_argument("--server-workers", type=int, default=1)
    parser.add_argument("--only", default=",".join(ALL), help=f"comma list of {ALL}")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    LATENCY = args.latency
    wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    if "xargs-curl" in wanted and not shutil.which("curl"):
        print("curl not found: skipping the curl peers")
        wanted = [w for w in wanted if "curl" not in w]
    if "wrk" in wanted and not shutil.which("wrk"):
        print("wrk not found (apt-get install wrk): skipping it")
        wanted.remove("wrk")
    n, conc = args.n, args.concurrency
    runners: dict[str, Callable[[Server], Figure]] = {
        "engine": lambda s: run_engine(s, n, conc),
        "engine-batch": lambda s: run_engine(s, n, conc, batch=args.batch),
        "cli": lambda s: run_cli(s, n, conc),
        "httpx": lambda s: run_httpx(s, n, conc),
        "xargs-curl": lambda s: run_xargs_curl(s, n, conc),
        "wrk": lambda s: run_wrk(s, conc, max(2.0, n * LATENCY / conc)),
        "curl-seq": lambda s: run_curl_seq(s, n, args.seq_sample),
        "cli-1k": lambda s: run_cli(s, 1000, 16, name="cli-1k"),
    }
    load_before = os.getloadavg()
    print(f"# {n} paths, concurrency {conc}, latency {args.latency * 1000:g} ms;", end=" ")
    print(f"ideal {n * args.latency / conc:.2f} s; nproc {os.cpu_count()};", end=" ")
    print(f"load {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}", flush=True)
    server = Server(args.latency, args.server_workers)
    figures: list[Figure] = []
    try:
        for name in wanted:
            s0 = server.cpu()
            figure = runners[name](server)
            figure.server_cpu_s = server.cpu() - s0
            figures.append(figure)
            print(f"  {name}: {figure.wall_s:.2f} s, {figure.ratio:.2f} x ideal", flush=True)
    finally:
        server.close()
    print(table(figures, conc))
    print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        data = {
            "n": n,
            "concurrency": conc,
            "latency_s": args.latency,
            "load_before": load_before,
            "load_after": os.getloadavg(),
            "figures": [dict(asdict(f), per_s=f.per_s, ratio=f.ratio) for f in figures],
        }
        args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
