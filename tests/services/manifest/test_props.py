"""Property tests: whatever bytes or JSON a loader gets, it returns a valid Manifest or raises
ManifestError (never another exception), and never leaks Next's preview keys."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isr_desk.domain import Manifest
from isr_desk.services.errors import ManifestError
from isr_desk.services.manifest import load_manifest

SECRET = "PREVIEW-SECRET-7f3a9c2e"
EXAMPLES = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
paths = st.text(max_size=20).map(lambda s: "/" + s) | st.text(max_size=10)
tags = st.text(max_size=15) | st.sampled_from(["posts", "_N_T_/layout", "_N_T_/a/page", ""])


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="isr-props-") as tmp:
        yield Path(tmp)


def _check(manifest: Manifest) -> None:
    """The invariants every Manifest keeps."""
    names = [p.path for p in manifest.paths]
    assert names == sorted(names)
    assert len(set(names)) == len(names)
    by_tag = {t.tag: t for t in manifest.tags}
    assert len(by_tag) == len(manifest.tags)
    for tag in manifest.tags:
        assert tag.implicit == tag.tag.startswith("_N_T_")
        assert list(tag.paths) == sorted(set(tag.paths))
    for path in manifest.paths:
        assert not any(t.startswith("_N_T_") for t in path.tags)
        assert all(t.startswith("_N_T_") for t in path.implicit_tags)
        for tag in (*path.tags, *path.implicit_tags):
            assert path.path in by_tag[tag].paths
    assert all(isinstance(w, str) and w for w in manifest.warnings)
    assert SECRET not in repr(manifest)


def _load(path: Path) -> None:
    error: ManifestError | None = None
    try:
        manifest = load_manifest(str(path))
    except ManifestError as exc:
        error = exc
    if error is None:
        _check(manifest)
        return
    assert str(path) in error.message or path.name in error.message
    assert SECRET not in error.describe()


@pytest.mark.parametrize("name", ["m.json", "sitemap.xml", "paths.txt", "noext"])
@EXAMPLES
@given(data=st.binary(max_size=300))
def test_any_bytes(workdir: Path, name: str, data: bytes) -> None:
    target = workdir / name
    target.write_bytes(data)
    _load(target)


@EXAMPLES
@given(data=st.binary(max_size=300))
def test_any_bytes_as_prerender_manifest(workdir: Path, data: bytes) -> None:
    dist = workdir / "bytes" / ".next"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "prerender-manifest.json").write_bytes(data)
    _load(workdir / "bytes")


@EXAMPLES
@given(doc=json_values)
def test_any_json_as_isr_manifest(workdir: Path, doc: Any) -> None:
    target = workdir / "any.json"
    target.write_text(json.dumps(doc))
    _load(target)


isr_docs = st.fixed_dictionaries(
    {"paths": st.lists(paths | st.fixed_dictionaries({"path": paths}, optional={
        "tags": st.lists(tags, max_size=4),
        "revalidate": st.none() | st.booleans() | st.integers(-2, 10**6) | st.floats(0, 1e6),
        "pattern": st.none() | st.text(max_size=10),
        "router": st.sampled_from([None, "app", "pages", "x"]),
    }), max_size=8)},
    optional={
        "version": st.integers(-1, 3) | st.text(max_size=2),
        "tags": st.lists(tags | st.fixed_dictionaries(
            {"tag": tags}, optional={"paths": st.lists(paths, max_size=3)}), max_size=4),
    },
)  # fmt: skip


@EXAMPLES
@given(doc=isr_docs)
def test_isr_manifest_shapes(workdir: Path, doc: Any) -> None:
    target = workdir / "shaped.json"
    target.write_text(json.dumps(doc))
    _load(target)


route_entries = st.fixed_dictionaries(
    {},
    optional={
        "initialRevalidateSeconds": json_values,
        "srcRoute": st.none() | st.text(max_size=10) | json_values,
        "dataRoute": st.none() | st.sampled_from(["/a.rsc", "/_next/data/b/a.json"]),
        "initialHeaders": st.dictionaries(
            st.sampled_from(["x-next-cache-tags", "content-type"]),
            st.lists(tags, max_size=4).map(",".join),
        ),
        "allowHeader": json_values,
    },
)
prerender_docs = st.fixed_dictionaries(
    {
        "version": st.sampled_from([3, 4, 5, "4", None]),
        "routes": st.dictionaries(paths, route_entries | json_values, max_size=6),
        "dynamicRoutes": st.dictionaries(paths, json_values, max_size=3),
        "preview": st.just({"previewModeId": SECRET, "previewModeSigningKey": SECRET + "s"}),
    }
)


@EXAMPLES
@given(
    doc=prerender_docs, meta=st.binary(max_size=80) | json_values.map(json.dumps).map(str.encode)
)
def test_prerender_manifest_shapes(workdir: Path, doc: Any, meta: bytes) -> None:
    root = workdir / "shaped-build"
    app = root / ".next" / "server" / "app"
    app.mkdir(parents=True, exist_ok=True)
    (root / ".next" / "BUILD_ID").write_text("b")
    (root / ".next" / "prerender-manifest.json").write_text(json.dumps(doc))
    for route in doc["routes"]:
        name = "index" if route == "/" else route.strip("/")
        if name and "\x00" not in name and "/" not in name and name not in (".", ".."):
            (app / f"{name}.meta").write_bytes(meta)
    _load(root)


@settings(max_examples=100, deadline=None)
@given(source=st.text(max_size=30).filter(lambda s: "://" not in s))
def test_any_source_string(source: str) -> None:
    """No source string (local ones: no network here) gets past without a clear answer."""
    error: ManifestError | None = None
    try:
        manifest = load_manifest(source)
    except ManifestError as exc:
        error = exc
    if error is None:
        _check(manifest)
    else:
        assert error.message
