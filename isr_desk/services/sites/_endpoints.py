"""Request building for each endpoint preset (docs/conventions.md, "Route shapes").

Pure functions: a profile, targets and a secret in, :class:`PreparedRequest` out. Nothing
here sends anything, so the profile dialog uses the same code for its live preview that
the engine uses to send. A request that cannot be built (a tag on ``pages-router``, a
template with a placeholder it cannot fill) raises :class:`EndpointError` before any send.

A path target is sent in the form the site's revalidation API needs (:func:`api_path`: no
base path, the trailing slash of ``trailingSlash``, non-ASCII percent-encoded); a route
pattern (``/[lang]/blog/[slug]``) travels with ``type: "page"``, without which
``revalidatePath`` does nothing. Templates are filled in one pass (:func:`fill`): a value
is never scanned again, so a path holding ``{secret}`` never receives the secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
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
from isr_desk.services.sites._secret_headers import with_placeholders
from isr_desk.services.sites._targets import is_pattern, profile_api_path

USER_AGENT = f"isr-desk/{__version__}"
JSON_TYPE = "application/json"
MAX_BATCH = 1000
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
PATH_PLACEHOLDERS = frozenset({"url", "path", "paths", "type", "secret"})
TAG_PLACEHOLDERS = frozenset({"url", "tag", "tags", "secret"})
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
        _validate_custom(endpoint)
    if not 0 <= endpoint.batch_size <= MAX_BATCH:
        raise EndpointError(f"Batch size must be between 0 (off) and {MAX_BATCH}")


def _validate_custom(endpoint: Endpoint) -> None:
    if endpoint.method.upper() not in _METHODS:
        raise EndpointError(f"Unsupported HTTP method {endpoint.method!r}")
    if not (endpoint.url_template.strip() or endpoint.tag_url_template.strip()):
        raise EndpointError(
            "Give a path template, a tag template or both",
            hint="For example {url}/api/revalidate?path={path}",
        )
    for kind in (TargetKind.PATH, TargetKind.TAG):
        url, body = _templates(endpoint, kind)
        if url:
            _validate_templates(endpoint, kind, url, body)
    if endpoint.secret_placement is not SecretPlacement.TEMPLATE and not (
        endpoint.secret_name.strip()
    ):
        raise EndpointError("Name the query parameter or header that carries the secret")


def _validate_templates(endpoint: Endpoint, kind: TargetKind, url: str, body: str) -> None:
    word = kind.value
    if not url.startswith(("{url}", "http://", "https://")):
        raise EndpointError(
            f"The {word} address template must start with {{url}} or http(s)://",
            hint="For example {url}/api/revalidate?" + f"{word}={{{word}}}",
        )
    allowed = PATH_PLACEHOLDERS if kind is TargetKind.PATH else TAG_PLACEHOLDERS
    texts = [url] + ([body] if endpoint.method.upper() != "GET" else [])
    used = {name for text in texts for name in _PLACEHOLDER.findall(text)}
    unknown = sorted(used - allowed)
    if unknown:
        names = ", ".join("{" + n + "}" for n in unknown)
        raise EndpointError(
            f"The {word} template has {names}, which a {word} request cannot fill",
            hint=f"A {word} template may use " + ", ".join("{" + n + "}" for n in sorted(allowed)),
        )
    if not used & {word, word + "s"}:
        raise EndpointError(
            f"The {word} template has no {{{word}}}: it cannot carry a {word}",
            hint=f"Add {{{word}}} to the {word} address or body template",
        )


def _templates(endpoint: Endpoint, kind: TargetKind) -> tuple[str, str]:
    if kind is TargetKind.PATH:
        return endpoint.url_template.strip(), endpoint.path_body_template
    return endpoint.tag_url_template.strip(), endpoint.tag_body_template


def secret_in_query(profile: SiteProfile) -> bool:
    """True when the secret travels in the URL (and so in server and CDN logs)."""
    endpoint = profile.endpoint
    if endpoint.preset in (Preset.APP_ROUTER, Preset.PAGES_ROUTER, Preset.GET_QUERY):
        return True
    if endpoint.preset is Preset.CUSTOM:
        return endpoint.secret_placement is SecretPlacement.QUERY or any(
            "{secret}" in t for t in (endpoint.url_template, endpoint.tag_url_template)
        )
    return False


def supports_tags(profile: SiteProfile) -> bool:
    endpoint = profile.endpoint
    if endpoint.preset is Preset.CUSTOM:
        return bool(endpoint.tag_url_template.strip())
    return endpoint.preset is not Preset.PAGES_ROUTER


def supports_paths(profile: SiteProfile) -> bool:
    endpoint = profile.endpoint
    return endpoint.preset is not Preset.CUSTOM or bool(endpoint.url_template.strip())


def batch_size(profile: SiteProfile) -> int:
    """Items per request: 1 unless the profile opted in to batch mode (never for GET).

    A custom GET route carries its values in the URL: unless the URL templates take a list
    (``{paths}`` / ``{tags}``), batching would send the first item and report every item of
    the batch as refreshed.
    """
    endpoint = profile.endpoint
    if endpoint.preset in (Preset.PAGES_ROUTER, Preset.GET_QUERY) or endpoint.batch_size <= 1:
        return 1
    if endpoint.preset is Preset.CUSTOM and endpoint.method.upper() == "GET":
        urls = endpoint.url_template + endpoint.tag_url_template
        if "{paths}" not in urls and "{tags}" not in urls:
            return 1
    return endpoint.batch_size


def build_request(
    profile: SiteProfile, target: Target, secret: str, *, base_url: str | None = None
) -> PreparedRequest:
    """The one request that revalidates ``target`` on ``base_url`` (default: the profile's)."""
    plural = batch_size(profile) > 1
    return _build(profile, (target,), secret, base_url or profile.base_url, plural=plural)


def build_requests(
    profile: SiteProfile,
    targets: Sequence[Target],
    secret: str,
    *,
    base_url: str | None = None,
    size: int | None = None,
) -> list[PreparedRequest]:
    """Requests for all ``targets``: one each, or batches of paths and of tags.

    In batch mode every request is plural (``{"paths": [...]}``), even one with one item: a
    route that reads ``body.paths`` gets nothing from ``{"path": ...}``.
    """
    base = base_url or profile.base_url
    size = batch_size(profile) if size is None else max(1, size)
    if size == 1 or profile.endpoint.preset in (Preset.PAGES_ROUTER, Preset.GET_QUERY):
        return [_build(profile, (t,), secret, base, plural=False) for t in targets]
    requests: list[PreparedRequest] = []
    for kind in (TargetKind.PATH, TargetKind.TAG):
        same = [t for t in targets if t.kind is kind]
        for start in range(0, len(same), size):
            chunk = tuple(same[start : start + size])
            requests.append(_build(profile, chunk, secret, base, plural=True))
    return requests


def preview_request(profile: SiteProfile, target: Target | None = None) -> PreparedRequest:
    """What a request for ``target`` will look like, secret shown as ``•••``."""
    if target is None or not _supports(profile, target.kind):
        kind = TargetKind.PATH if supports_paths(profile) else TargetKind.TAG
        target = (
            Target.path("/blog/hello-world") if kind is TargetKind.PATH else Target.tag("posts")
        )
    return build_request(with_placeholders(profile), target, REDACTED).redacted()


def _supports(profile: SiteProfile, kind: TargetKind) -> bool:
    return supports_paths(profile) if kind is TargetKind.PATH else supports_tags(profile)


# --- building ------------------------------------------------------------------------------


def _build(
    profile: SiteProfile,
    targets: tuple[Target, ...],
    secret: str,
    base_url: str,
    *,
    plural: bool,
) -> PreparedRequest:
    request = _assemble(profile, targets, secret, base_url, plural=plural)
    # The secret headers' values (services/sites/_secret_headers.py), blanked by redacted().
    hidden = tuple(v for _, v in profile.secret_values if v != REDACTED)
    return replace(request, hidden=hidden) if hidden else request


def _assemble(
    profile: SiteProfile,
    targets: tuple[Target, ...],
    secret: str,
    base_url: str,
    *,
    plural: bool,
) -> PreparedRequest:
    endpoint = profile.endpoint
    validate_endpoint(endpoint)
    base = with_base_path(_base(base_url), profile.base_path)
    kind = targets[0].kind
    _check_supported(profile, kind, targets)
    values = [_value(profile, t) for t in targets]
    page_type = "page" if kind is TargetKind.PATH and any(map(is_pattern, values)) else ""
    headers = [("User-Agent", USER_AGENT), *profile.headers, *profile.secret_values]
    if endpoint.preset is Preset.CUSTOM:
        return _custom(endpoint, targets, values, page_type, secret, base, headers, plural)
    url = base + endpoint.path
    if endpoint.preset in (Preset.PAGES_ROUTER, Preset.GET_QUERY):
        query = {"secret": secret, kind.value: values[0]}
        if page_type:
            query["type"] = page_type
        url = _join_query(url, urlencode(query))
        return PreparedRequest("GET", url, tuple(headers), None, targets, secret)
    if endpoint.preset is Preset.APP_ROUTER:
        url = _join_query(url, urlencode({"secret": secret}))
    else:  # bearer
        headers.append(("Authorization", f"Bearer {secret}"))
    headers.append(("Content-Type", JSON_TYPE))
    body: dict[str, object] = {f"{kind.value}s": values} if plural else {kind.value: values[0]}
    if page_type:
        body["type"] = page_type
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return PreparedRequest("POST", url, tuple(headers), data, targets, secret)


def _value(profile: SiteProfile, target: Target) -> str:
    return (
        profile_api_path(profile, target.value) if target.kind is TargetKind.PATH else target.value
    )


def _check_supported(profile: SiteProfile, kind: TargetKind, targets: tuple[Target, ...]) -> None:
    preset = profile.endpoint.preset
    if kind is TargetKind.TAG and preset is Preset.PAGES_ROUTER:
        raise EndpointError(
            "The pages-router preset cannot revalidate cache tags",
            hint="res.revalidate() takes paths only; use the app-router or bearer preset "
            "for a route that calls revalidateTag",
        )
    if not _supports(profile, kind):
        raise EndpointError(
            f"This site's route takes no {kind.value}s (its {kind.value} template is empty)",
            hint=f"Add a {kind.value} template to the site's custom endpoint",
        )
    pattern = next((t.value for t in targets if is_pattern(t.value)), None)
    if pattern is None:
        return
    if preset is Preset.PAGES_ROUTER:
        raise EndpointError(
            f"{pattern} is a route pattern: res.revalidate() takes exact paths only",
            hint="Revalidate the pattern's pages from the manifest instead",
        )
    if not _carries_type(profile.endpoint):
        # revalidatePath('/blog/[slug]') without type 'page' answers true and changes nothing.
        raise EndpointError(
            f"{pattern} is a route pattern, and this site's route cannot pass its type "
            "('page') to revalidatePath: nothing would change",
            hint="Pick the pattern's pages from the page list instead, or use a route that "
            "reads `type` (the app-router and bearer presets send it; a custom template "
            "needs {type})",
        )


def _carries_type(endpoint: Endpoint) -> bool:
    """Whether the route is given revalidatePath's ``type`` with a pattern."""
    if endpoint.preset in (Preset.APP_ROUTER, Preset.BEARER):
        return True
    if endpoint.preset is Preset.CUSTOM:
        url_template, template = _templates(endpoint, TargetKind.PATH)
        return "{type}" in url_template or "{type}" in template
    return False  # the docs' GET route: revalidatePath(path), no type


def _custom(
    endpoint: Endpoint,
    targets: tuple[Target, ...],
    values: list[str],
    page_type: str,
    secret: str,
    base: str,
    headers: list[tuple[str, str]],
    plural: bool,
) -> PreparedRequest:
    kind = targets[0].kind.value
    url_template, template = _templates(endpoint, targets[0].kind)
    if plural and f"{{{kind}s}}" not in template:
        # A batch needs an array: fall back to {"paths": [...]} / {"tags": [...]}.
        template = '{"' + kind + 's": {' + kind + "s}}"
    given = {"url": base, kind: values[0], "type": page_type, "secret": secret}
    array = json.dumps(values, ensure_ascii=False)
    joined = ",".join(map(_url_part, values))
    url = fill(url_template, given, encode=_url_part, arrays={f"{kind}s": joined})
    method = endpoint.method.upper()
    body: bytes | None = None
    if method != "GET" and template.strip():
        text = fill(template, given, encode=_json_part, arrays={f"{kind}s": array})
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


def fill(
    template: str,
    values: dict[str, str],
    *,
    encode: _Encoder,
    arrays: dict[str, str] | None = None,
) -> str:
    """``template`` with each ``{name}`` replaced in ONE pass: a value is never re-scanned.

    ``{url}`` is inserted as is, ``arrays`` (``{paths}``) as given, the rest encoded. A
    placeholder without a value is an :class:`EndpointError` (validation catches it first).
    """
    arrays = arrays or {}

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in arrays:
            return arrays[name]
        if name not in values:
            raise EndpointError(f"The template has {{{name}}}, which this request cannot fill")
        return values[name] if name == "url" else encode(values[name])

    return _PLACEHOLDER.sub(one, template)


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


def with_base_path(base: str, base_path: str) -> str:
    """``base`` ending with the site's base path: with ``basePath`` every route, the
    revalidation route too, is under it (an instance URL is often given without it)."""
    if base_path and not urlsplit(base).path.rstrip("/").endswith(base_path):
        return base.rstrip("/") + base_path
    return base


def _join_query(url: str, query: str) -> str:
    return f"{url}&{query}" if "?" in url else f"{url}?{query}"


def describe(profile: SiteProfile) -> str:
    """One line saying how the site is called, for lists and ``site show``."""
    request = preview_request(profile)
    return f"{request.method} {request.url}"
