"""Fast decoding of a big ``prerender-manifest.json`` with msgspec (optional dependency).

A 100,000-route Next 16 manifest is ~75 MB of indented JSON, most of it fields ISR Desk does
not need (``allowHeader``, ``experimentalBypassFor``, ...). ``json.loads`` builds Python objects
for all of it (over a second); msgspec decodes into the few fields below and skips the rest
without allocating, about 4x faster. :mod:`manifest_next` falls back to ``json`` when msgspec is
missing or the document does not fit these types (the ``json`` path then words the error).
"""

from __future__ import annotations

from typing import Any

import msgspec

# One prerendered route as (path, revalidate, srcRoute, dataRoute, initialHeaders, App Router
# hint); values are raw JSON and may be ``msgspec.UNSET`` when absent (never a str/dict/number).
RouteRow = tuple[str, Any, Any, Any, Any, bool]
DynamicRow = tuple[str, Any, Any]  # (pattern, dataRoute, fallback)
Decoded = tuple[Any, list[RouteRow], list[DynamicRow], Any, bool]

_UNSET: Any = msgspec.UNSET


class _Route(msgspec.Struct):
    initialRevalidateSeconds: Any = _UNSET  # noqa: N815 - Next's field names
    srcRoute: Any = _UNSET  # noqa: N815
    dataRoute: Any = _UNSET  # noqa: N815
    initialHeaders: Any = _UNSET  # noqa: N815
    renderingMode: Any = _UNSET  # noqa: N815
    experimentalPPR: Any = _UNSET  # noqa: N815


class _Dynamic(msgspec.Struct):
    dataRoute: Any = None  # noqa: N815
    fallback: Any = None


class _Prerender(msgspec.Struct):
    routes: dict[str, _Route]
    dynamicRoutes: dict[str, _Dynamic]  # noqa: N815
    version: Any = None
    preview: Any = None  # only to scrub its values from warnings; never shown


_DECODER = msgspec.json.Decoder(_Prerender)


def decode_prerender(data: bytes) -> Decoded | None:
    """(version, routes, dynamic routes, preview, any route has known fields), or ``None``."""
    try:
        manifest = _DECODER.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    unset = _UNSET
    routes = manifest.routes
    rows: list[RouteRow] = [
        (
            path,
            r.initialRevalidateSeconds,
            r.srcRoute,
            r.dataRoute,
            r.initialHeaders,
            r.renderingMode is not unset or r.experimentalPPR is not unset,
        )
        for path, r in routes.items()
    ]
    known = any(
        not (
            r.initialRevalidateSeconds is unset
            and r.srcRoute is unset
            and r.dataRoute is unset
            and r.initialHeaders is unset
        )
        for r in routes.values()
    )
    dynamic = [(p, d.dataRoute, d.fallback) for p, d in manifest.dynamicRoutes.items()]
    return manifest.version, rows, dynamic, manifest.preview, known
