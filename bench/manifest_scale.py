"""Benchmark: load a 100,000-route Next.js build (prerender manifest + .meta files).

Generates, under a temp dir, a ``.next`` directory shaped like a real App Router build (v4
prerender manifest, one ``server/app/<route>.meta`` per page with ``x-next-cache-tags``, a few
Pages Router routes, a routes-manifest) and times :func:`load_manifest` on it, cold-ish (first
run) and warm (best of the rest). Prints the figures; the target (DESIGN.md) is under 1.5 s.

    .venv/bin/python -m bench.manifest_scale [--routes 100000] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from isr_desk.services.manifest import load_manifest

TARGET_S = 1.5
_SECTIONS = ("posts", "docs", "products", "news")


_BYPASS = [
    {"type": "header", "key": "next-action"},
    {"type": "header", "key": "content-type", "value": "multipart/form-data;.*"},
]
_ALLOW = [
    "host",
    "x-matched-path",
    "x-prerender-revalidate",
    "x-prerender-revalidate-if-generated",
    "x-next-revalidated-tags",
    "x-next-revalidate-tag-token",
]


def _app_entry(path: str, src: str) -> dict[str, object]:
    """A route entry as Next 16.4 writes it (App Router page)."""
    return {
        "routeType": "page",
        "response": "complete",
        "compute": "static",
        "htmlSize": 6100 + len(path),
        "experimentalBypassFor": _BYPASS,
        "initialRevalidateSeconds": 3600,
        "initialExpireSeconds": 31536000,
        "srcRoute": src,
        "dataRoute": f"{path}.rsc",
        "allowHeader": _ALLOW,
    }


def _meta(path: str, section: str, tags: list[str]) -> str:
    """A ``.meta`` file as Next 16.4 writes it (indented, with segment and cache details)."""
    meta = {
        "headers": {
            "x-nextjs-stale-time": "300",
            "x-nextjs-prerender": "1",
            "x-next-cache-tags": ",".join(tags),
        },
        "segmentPaths": ["/_tree", "/_full", f"/{section}/$d$slug/__PAGE__"],
        "prefetchHints": {"hints": 64, "slots": {"children": {"hints": 160, "slots": None}}},
        "routeCache": {
            "key": f"/route-cache/APP_PAGE/{'0' * 64}/${path}",
            "owner": {"kind": "APP_PAGE", "sourceRoute": f"/{section}/[slug]/page"},
            "isFallback": False,
        },
    }
    return json.dumps(meta, indent=2)


def generate(root: Path, routes: int) -> Path:
    """Write a ``.next`` with ``routes`` prerendered pages under ``root``; returns ``root``."""
    dist = root / ".next"
    app = dist / "server" / "app"
    entries: dict[str, object] = {}
    dynamic: dict[str, object] = {}
    for section in _SECTIONS:
        (app / section).mkdir(parents=True, exist_ok=True)
        dynamic[f"/{section}/[slug]"] = {
            "routeRegex": f"^/{section}/([^/]+?)(?:/)?$",
            "dataRoute": f"/{section}/[slug].rsc",
            "fallback": None,
            "dataRouteRegex": f"^/{section}/([^/]+?)\\.rsc$",
        }
    pages = max(1, routes // 100)  # 1 % Pages Router routes: no .meta, tags never
    for i in range(routes - pages):
        section = _SECTIONS[i % len(_SECTIONS)]
        path = f"/{section}/item-{i}"
        entries[path] = _app_entry(path, f"/{section}/[slug]")
        tags = [
            "_N_T_/layout",
            f"_N_T_/{section}/layout",
            f"_N_T_/{section}/[slug]/layout",
            f"_N_T_/{section}/[slug]/page",
            f"_N_T_{path}",
            section,
            f"{section[:-1]}:item-{i}",
            f"author:{i % 50}",
        ]
        (app / section / f"item-{i}.meta").write_text(_meta(path, section, tags))
    for i in range(pages):
        path = f"/legacy/page-{i}"
        entries[path] = {
            "routeType": "page",
            "response": "complete",
            "compute": "static",
            "initialRevalidateSeconds": 60,
            "initialExpireSeconds": 31536000,
            "srcRoute": "/legacy/[id]",
            "dataRoute": f"/_next/data/BUILD/legacy/page-{i}.json",
        }
    manifest = {
        "version": 4,
        "routes": entries,
        "dynamicRoutes": dynamic,
        "notFoundRoutes": [],
        "preview": {
            "previewModeId": "bench-preview-id-0000",
            "previewModeSigningKey": "bench-signing-key-0000",
            "previewModeEncryptionKey": "bench-encryption-key-0000",
        },
    }
    (dist / "prerender-manifest.json").write_text(json.dumps(manifest, indent=2))
    (dist / "routes-manifest.json").write_text(json.dumps({"version": 3, "basePath": ""}))
    (dist / "BUILD_ID").write_text("bench")
    return root


def _time_load(source: str) -> tuple[float, float, int, int]:
    """(wall s, CPU s, paths, tags): CPU time shows the cost when other work shares the CPU."""
    start, cpu = time.perf_counter(), time.process_time()
    manifest = load_manifest(source)
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    return elapsed, used, len(manifest.paths), len(manifest.tags)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="generate into this directory and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="isr-bench-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        start = time.perf_counter()
        generate(root, args.routes)
        size = os.path.getsize(root / ".next" / "prerender-manifest.json")
        print(
            f"generated {args.routes} routes in {time.perf_counter() - start:.1f} s "
            f"(prerender-manifest.json {size / 2**20:.1f} MiB)"
        )
        times = []
        for run in range(args.runs):
            elapsed, used, n_paths, n_tags = _time_load(str(root))
            times.append(elapsed)
            load = os.getloadavg()[0]
            print(
                f"run {run + 1}: {elapsed:.3f} s wall, {used:.3f} s CPU  "
                f"({n_paths} paths, {n_tags} tags; load {load:.1f} on {os.cpu_count()} CPUs)"
            )
        warm = times[1:] or times
        verdict = "OK" if max(warm) < TARGET_S else "OVER TARGET"
        print(
            f"first {times[0]:.3f} s, warm median {statistics.median(warm):.3f} s, "
            f"warm max {max(warm):.3f} s (target < {TARGET_S} s): {verdict}"
        )
    return 0 if max(times[1:] or times) < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
