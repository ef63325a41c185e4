"""Benchmark: load a 100,000-route Next.js build (prerender manifest + .meta files).

Generates, under a temp dir, a ``.next`` directory shaped like a real App Router build (v4
prerender manifest, one ``server/app/<route>.meta`` per page with ``x-next-cache-tags``, a few
Pages Router routes, a routes-manifest) and times :func:`load_manifest` on it, cold-ish (first
run) and warm (best of the rest). Prints the figures; the target (docs/performance.md):
under 1.5 s.
Then the RSS after the load (and its peak) and, with the manifest in the paths and tags table
models, the CPU time of a filter keystroke (under 50 ms) and of a sort (under 200 ms).

    .venv/bin/python -m bench.manifest_scale [--routes 100000] [--runs 5] [--keep DIR]

``--keep DIR`` reuses a build already generated there (same number of routes).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from isr_desk.domain import Manifest
from isr_desk.services.manifest import load_manifest
from isr_desk.views.collector import keep_out_of_collections

TARGET_S = 1.5
TARGET_FILTER_MS = 50
TARGET_SORT_MS = 200
_NEEDLES = ("p", "po", "pos", "post", "posts", "posts/", "posts/item-1", "author:3", "zzz", "")
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
    with (dist / "prerender-manifest.json").open("w") as fh:
        json.dump(manifest, fh, indent=2)  # streamed: no 75 MB string in memory
    (dist / "routes-manifest.json").write_text(json.dumps({"version": 3, "basePath": ""}))
    (dist / "BUILD_ID").write_text("bench")
    return root


def _time_load(source: str) -> tuple[float, float, Manifest]:
    """(wall s, CPU s, manifest): CPU time shows the cost when other work shares the CPU.

    The GC as the app has it (isr_desk/app.py): automatic collection off (the GUI thread's
    collector runs instead), and a big manifest frozen out of collections once it is shown.
    """
    gc.unfreeze()
    start, cpu = time.perf_counter(), time.process_time()
    manifest = load_manifest(source)
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    keep_out_of_collections(manifest)
    return elapsed, used, manifest


def _rss_mb(key: str = "VmRSS") -> float:
    """This process's resident set (``VmHWM``: its peak) in MB; 0 where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _model_times(manifest: Manifest) -> None:
    """Filter keystrokes and sorts on the two table models, in CPU ms (the worst of each)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, Qt  # Qt only for this part

    from isr_desk.views.targets_model import PathsModel, TagsModel

    app = QCoreApplication.instance() or QCoreApplication([])
    before = _rss_mb()
    paths, tags = PathsModel(), TagsModel()
    start = time.perf_counter()
    prepared = PathsModel.prepare(manifest.paths), TagsModel.prepare(manifest.tags)
    middle = time.perf_counter()  # prepare runs off the GUI thread; set_prepared on it
    paths.set_prepared(prepared[0])
    tags.set_prepared(prepared[1])
    end = time.perf_counter()
    filled = _rss_mb()
    print(
        f"list fill: prepare {(middle - start) * 1000:.0f} ms (worker thread), "
        f"set into the models {(end - middle) * 1000:.0f} ms (GUI thread)"
    )
    print(f"RSS with both models filled: {filled:.0f} MB (+{filled - before:.0f} MB for them)")
    for model in (paths, tags):
        keystroke = []
        for needle in _NEEDLES:
            cpu = time.process_time()
            model.set_filter(needle)
            keystroke.append((time.process_time() - cpu) * 1000)
        sorts = []
        for column in range(len(model.columns)):
            for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
                cpu = time.process_time()
                model.sort(column, order)
                sorts.append((time.process_time() - cpu) * 1000)
        name = type(model).__name__
        verdict = (
            "OK"
            if max(keystroke) < TARGET_FILTER_MS and max(sorts) < TARGET_SORT_MS
            else ("OVER TARGET")
        )
        print(
            f"{name} ({model.total} rows): filter keystroke max {max(keystroke):.1f} ms CPU "
            f"(target < {TARGET_FILTER_MS}), sort max {max(sorts):.1f} ms CPU "
            f"(target < {TARGET_SORT_MS}): {verdict}"
        )
    del app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", help="generate into this directory and keep it")
    parser.add_argument("--no-models", action="store_true", help="skip the table model part")
    parser.add_argument(
        "--gc", choices=("app", "python"), default="app",
        help="app: automatic GC off, as under the app's GUI-thread collector and in the "
        "CLI's `manifest` command (cli.own_the_gc) (default); python: Python's default GC",
    )  # fmt: skip
    args = parser.parse_args()
    if args.gc == "app":
        gc.disable()
    with tempfile.TemporaryDirectory(prefix="isr-bench-") as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        start = time.perf_counter()
        reused = (root / ".next" / "BUILD_ID").is_file()
        if not reused:
            generate(root, args.routes)
        size = os.path.getsize(root / ".next" / "prerender-manifest.json")
        print(
            f"{'reused the build in' if reused else 'generated'} {root} "
            f"in {time.perf_counter() - start:.1f} s "
            f"(prerender-manifest.json {size / 2**20:.1f} MiB)"
        )
        times = []
        baseline = _rss_mb()
        manifest = None
        for run in range(args.runs):
            manifest = None  # the previous one is not kept through the next load
            elapsed, used, manifest = _time_load(str(root))
            times.append(elapsed)
            load = os.getloadavg()[0]
            print(
                f"run {run + 1}: {elapsed:.3f} s wall, {used:.3f} s CPU  "
                f"({len(manifest.paths)} paths, {len(manifest.tags)} tags; "
                f"load {load:.1f} on {os.cpu_count()} CPUs)"
            )
        warm = times[1:] or times
        verdict = "OK" if max(warm) < TARGET_S else "OVER TARGET"
        print(
            f"first {times[0]:.3f} s, warm median {statistics.median(warm):.3f} s, "
            f"warm max {max(warm):.3f} s (target < {TARGET_S} s): {verdict}"
        )
        print(
            f"RSS after load: {_rss_mb():.0f} MB (+{_rss_mb() - baseline:.0f} MB), "
            f"peak {_rss_mb('VmHWM'):.0f} MB"
        )
        if manifest is not None and not args.no_models:
            _model_times(manifest)
    return 0 if max(times[1:] or times) < TARGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
