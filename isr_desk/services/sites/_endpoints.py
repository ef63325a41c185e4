"""Request building for each endpoint preset (docs/nextjs.md, "The route a site exposes").

Pure functions: a profile, targets and a secret in, :class:`PreparedRequest` out. Nothing
here sends anything, so the profile dialog uses the same code for its live preview that
the engine uses to send. A request that cannot be built (a tag on ``pages-router``, a
template without a placeholder it needs) raises :class:`EndpointError` before any send.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from urllib.parse import quote, urlencode, urlsplit

from isr_desk import __version__
from isr_desk.domain import (
    REDACTED,
    Endpoint,
    PreparedRequest,
    Preset,
    SecretPlacement,
    SiteProfile,
    Target,
    TargetKind,
)
from isr_desk.services.errors import EndpointError

USER_AGENT = f"isr-desk/{__version__}"
JSON_TYPE = "application/json"
MAX_BATCH = 1000
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_Encoder = Callable[[str], str]


def validate_endpoint(endpoint: Endpoint) -> None:
    """Raise :class:`EndpointError` when the endpoint settings cannot produce a request."""
    if endpoint.preset is not Preset.CUSTOM:
        if not endpoint.path.startswith("/"):
            raise EndpointError(
                f"Endpoint path {endpoint.path!r} must start with '/'",
                hint="For example /api/revalidate",
            )
    else:
        if endpoint.method.upper() not in _METHODS:
            raise EndpointError(f"Unsupported HTTP method {endpoint.method!r}")
        if not endpoint.url_template.startswith(("{url}", "http://", "https://")):
            raise EndpointError(
                "The URL template must start with {url} or http(s)://",
                hint="For example {url}/api/revalidate?path={path}",
            )
        if endpoint.secret_placement is not SecretPlacement.TEMPLATE and not (
            endpoint.secret_name.strip()
        ):
            raise EndpointError("Name the query parameter or header that carries the secret")
    if not 0 <= endpoint.batch_size <= MAX_BATCH:
        raise EndpointError(f"Batch size must be between 0 (off) and {MAX_BATCH}")


def secret_in_query(profile: SiteProfile) -> bool:
    """True when the secret travels in the URL (and so in server and CDN logs)."""
    endpoint = profile.endpoint
    if endpoint.preset in (Preset.APP_ROUTER, Preset.PAGES_ROUTER):
        return True
    if endpoint.preset is Preset.CUSTOM:
        return endpoint.secret_placement is SecretPlacement.QUERY or (
            "{secret}" in endpoint.url_template
        )
    return False


def supports_tags(profile: SiteProfile) -> bool:
    return profile.endpoint.preset is not Preset.PAGES_ROUTER


def batch_size(profile: SiteProfile) -> int:
    """Items per request: 1 unless the profile opted in to batch mode (never for GET)."""
    endpoint = profile.endpoint
    if endpoint.preset is Preset.PAGES_ROUTER or endpoint.batch_size <= 1:
        return 1
    return endpoint.batch_size


def build_request(
    profile: SiteProfile, target: Target, secret: str, *, base_url: str | None = None
) -> PreparedRequest:
    """The one request that revalidates ``target`` on ``base_url`` (default: the profile's)."""
    return _build(profile, (target,), secret, base_url or profile.base_url)


def build_requests(
    profile: SiteProfile,
    targets: Sequence[Target],
    secret: str,
    *,
    base_url: str | None = None,
    size: int | None = None,
) -> list[PreparedRequest]:
    """Requests for all ``targets``: one each, or batches of paths and of tags."""
    base = base_url or profile.base_url
    size = batch_size(profile) if size is None else max(1, size)
    if size == 1:
        return [_build(profile, (t,), secret, base) for t in targets]
    requests: list[PreparedRequest] = []
    for kind in (TargetKind.PATH, TargetKind.TAG):
        same = [t for t in targets if t.kind is kind]
        for start in range(0, len(same), size):
            requests.append(_build(profile, tuple(same[start : start + size]), secret, base))
    return requests


def preview_request(profile: SiteProfile, target: Target | None = None) -> PreparedRequest:
    """What a request for ``target`` will look like, secret shown as ``•••``."""
    target = target or Target.path("/blog/hello-world")
    if target.kind is TargetKind.TAG and not supports_tags(profile):
        target = Target.path("/blog/hello-world")
    return _build(profile, (target,), REDACTED, profile.base_url).redacted()


# --- building ------------------------------------------------------------------------------


def _build(
    profile: SiteProfile, targets: tuple[Target, ...], secret: str, base_url: str
) -> PreparedRequest:
    endpoint = profile.endpoint
    validate_endpoint(endpoint)
    base = _base(base_url)
    kind = targets[0].kind
    if kind is TargetKind.TAG and endpoint.preset is Preset.PAGES_ROUTER:
        raise EndpointError(
            "The pages-router preset cannot revalidate cache tags",
            hint="res.revalidate() takes paths only; use the app-router or bearer preset "
            "for a route that calls revalidateTag",
        )
    headers = [("User-Agent", USER_AGENT), *profile.headers]
    if endpoint.preset is Preset.CUSTOM:
        return _custom(endpoint, targets, secret, base, headers)
    url = base + endpoint.path
    if endpoint.preset is Preset.PAGES_ROUTER:
        query = urlencode({"secret": secret, "path": targets[0].value})
        return PreparedRequest(
            "GET", _join_query(url, query), tuple(headers), None, targets, secret
        )
    if endpoint.preset is Preset.APP_ROUTER:
        url = _join_query(url, urlencode({"secret": secret}))
    else:  # bearer
        headers.append(("Authorization", f"Bearer {secret}"))
    headers.append(("Content-Type", JSON_TYPE))
    body = json.dumps(_json_body(targets), ensure_ascii=False).encode("utf-8")
    return PreparedRequest("POST", url, tuple(headers), body, targets, secret)


def _json_body(targets: tuple[Target, ...]) -> dict[str, object]:
    key = targets[0].kind.value
    if len(targets) == 1:
        return {key: targets[0].value}
    return {f"{key}s": [t.value for t in targets]}


def _custom(
    endpoint: Endpoint,
    targets: tuple[Target, ...],
    secret: str,
    base: str,
    headers: list[tuple[str, str]],
) -> PreparedRequest:
    target = targets[0]
    kind = target.kind.value
    values = [t.value for t in targets]
    url = _fill(endpoint.url_template, base, target, secret, values, encode=_url_part)
    template = endpoint.path_body_template if kind == "path" else endpoint.tag_body_template
    if len(targets) > 1 and f"{{{kind}s}}" not in template:
        # A batch needs an array: fall back to {"paths": [...]} / {"tags": [...]}.
        template = '{"' + kind + 's": {' + kind + "s}}"
    method = endpoint.method.upper()
    body: bytes | None = None
    if method != "GET" and template.strip():
        text = _fill(template, base, target, secret, values, encode=_json_part)
        body = text.encode("utf-8")
        content_type = JSON_TYPE if text.lstrip()[:1] in "{[" else "text/plain; charset=utf-8"
        headers.append(("Content-Type", content_type))
    placement, name = endpoint.secret_placement, endpoint.secret_name.strip()
    if placement is SecretPlacement.QUERY:
        url = _join_query(url, urlencode({name: secret}))
    elif placement is SecretPlacement.HEADER:
        value = f"Bearer {secret}" if name.lower() == "authorization" else secret
        headers.append((name, value))
    return PreparedRequest(method, url, tuple(headers), body, targets, secret)


def _fill(
    template: str,
    base: str,
    target: Target,
    secret: str,
    values: list[str],
    *,
    encode: _Encoder,
) -> str:
    kind = target.kind.value
    other = "tag" if kind == "path" else "path"
    if f"{{{other}}}" in template and f"{{{kind}}}" not in template:
        raise EndpointError(
            f"The template has {{{other}}} but no {{{kind}}}: it cannot carry a {kind}",
            hint=f"Add {{{kind}}} to the template",
        )
    array = json.dumps(values, ensure_ascii=False)
    return (
        template.replace("{url}", base)
        .replace(f"{{{kind}s}}", array)
        .replace(f"{{{kind}}}", encode(target.value))
        .replace("{secret}", encode(secret))
    )


def _url_part(value: str) -> str:
    return quote(value, safe="/")


def _json_part(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _base(base_url: str) -> str:
    base = base_url.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointError(
            f"{base_url!r} is not an http(s) URL", hint="For example https://www.example.com"
        )
    return base


def _join_query(url: str, query: str) -> str:
    return f"{url}&{query}" if "?" in url else f"{url}?{query}"


def describe(profile: SiteProfile) -> str:
    """One line saying how the site is called, for lists and ``site show``."""
    request = preview_request(profile)
    return f"{request.method} {request.url}"
