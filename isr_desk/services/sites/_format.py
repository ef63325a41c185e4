"""The stored form of a profile (``profiles.json`` and exports), and migration from version 1.

Version 2 stores a custom endpoint's path and tag templates apart (``url_template``,
``tag_url_template``) and the site's conventions (``base_path``, ``trailing_slash``,
``encode_paths``). Version 1 files (one URL template for paths and tags) are read and
migrated: the template becomes a path template and a tag template, a query parameter that
carried the other kind (``&tag={tag}`` in the path template) is dropped, and a template that
could carry only one kind gives an empty template for the other (docs/conventions.md,
"Custom routes").
"""

from __future__ import annotations

from typing import Any

from isr_desk.domain import (
    CdnProvider,
    CdnSettings,
    Endpoint,
    PathPurge,
    Preset,
    SecretPlacement,
    SiteProfile,
)

FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
_ENDPOINT_FIELDS = {
    "preset",
    "path",
    "method",
    "url_template",
    "tag_url_template",
    "path_body_template",
    "tag_body_template",
    "secret_placement",
    "secret_name",
    "batch_size",
}


def profile_to_dict(profile: SiteProfile) -> dict[str, Any]:
    endpoint = profile.endpoint
    data: dict[str, Any] = {
        "name": profile.name,
        "base_url": profile.base_url,
        "endpoint": {"preset": endpoint.preset.value, "path": endpoint.path},
        "manifest_source": profile.manifest_source,
        "concurrency": profile.concurrency,
        "timeout": profile.timeout,
        "retries": profile.retries,
        "headers": [list(h) for h in profile.headers],
        "instances": list(profile.instances),
        "base_path": profile.base_path,
        "trailing_slash": profile.trailing_slash,
        "encode_paths": profile.encode_paths,
    }
    # Written only when set: files of sites without them stay as they were.
    for key in ("proxy", "ca_bundle", "rate_limit"):
        if getattr(profile, key):
            data[key] = getattr(profile, key)
    if endpoint.preset is Preset.CUSTOM:
        data["endpoint"].update(
            method=endpoint.method,
            url_template=endpoint.url_template,
            tag_url_template=endpoint.tag_url_template,
            path_body_template=endpoint.path_body_template,
            tag_body_template=endpoint.tag_body_template,
            secret_placement=endpoint.secret_placement.value,
            secret_name=endpoint.secret_name,
        )
    if endpoint.batch_size:
        data["endpoint"]["batch_size"] = endpoint.batch_size
    if profile.cdn.enabled:  # never a token: that is in the keyring (docs/cdn.md)
        data["cdn"] = cdn_to_dict(profile.cdn)
    if profile.secret_headers:  # the names only: the values are in the keyring
        data["secret_headers"] = list(profile.secret_headers)
    return data


def cdn_to_dict(cdn: CdnSettings) -> dict[str, Any]:
    data: dict[str, Any] = {"provider": cdn.provider.value}
    if cdn.provider is CdnProvider.VERCEL:
        data.update(project=cdn.project, team=cdn.team, target=cdn.target)
    else:
        data.update(zone=cdn.zone, path_purge=cdn.path_purge.value)
    data.update(public_url=cdn.public_url, by_default=cdn.by_default)
    return data


def cdn_from_dict(data: Any) -> CdnSettings:
    if data is None:
        return CdnSettings()
    if not isinstance(data, dict):
        raise TypeError("cdn must be an object")
    return CdnSettings(
        provider=CdnProvider(data.get("provider", "none")),
        project=_str(data.get("project") or ""),
        team=_str(data.get("team") or ""),
        target=_str(data.get("target") or "production"),
        zone=_str(data.get("zone") or ""),
        path_purge=PathPurge(data.get("path_purge") or "urls"),
        public_url=_str(data.get("public_url") or ""),
        by_default=_bool(data.get("by_default", False)),
    )


def profile_from_dict(data: Any, *, version: int = FORMAT_VERSION) -> SiteProfile:
    """A profile from its stored form; raises ValueError/TypeError/KeyError on bad shape."""
    if not isinstance(data, dict):
        raise TypeError("a profile must be an object")
    raw_endpoint = data.get("endpoint") or {}
    if not isinstance(raw_endpoint, dict):
        raise TypeError("endpoint must be an object")
    fields = {k: v for k, v in raw_endpoint.items() if k in _ENDPOINT_FIELDS}
    for key in _ENDPOINT_FIELDS - {"preset", "secret_placement", "batch_size"}:
        if key in fields and not isinstance(fields[key], str):
            raise TypeError(f"endpoint.{key} must be text")
    if version < 2 or ("url_template" in fields and "tag_url_template" not in fields):
        fields.update(split_url_template(fields.get("url_template", "{url}/api/revalidate")))
    fields["preset"] = Preset(fields.get("preset", Preset.APP_ROUTER.value))
    if "secret_placement" in fields:
        fields["secret_placement"] = SecretPlacement(fields["secret_placement"])
    fields["batch_size"] = _int(fields.get("batch_size", 0))
    headers = data.get("headers") or []
    instances = data.get("instances") or []
    secret_headers = data.get("secret_headers") or []
    if not all(isinstance(x, list) for x in (headers, instances, secret_headers)):
        raise TypeError("headers, instances and secret_headers must be lists")
    manifest = data.get("manifest_source")
    return SiteProfile(
        name=_str(data["name"]),
        base_url=_str(data["base_url"]),
        endpoint=Endpoint(**fields),
        manifest_source=None if manifest in (None, "") else _str(manifest),
        concurrency=_int(data.get("concurrency", 8)),
        timeout=float(data.get("timeout", 10.0)),
        retries=_int(data.get("retries", 2)),
        headers=tuple((_str(k), _str(v)) for k, v in headers),
        instances=tuple(_str(u) for u in instances),
        proxy=_optional_str(data.get("proxy")),
        ca_bundle=_optional_str(data.get("ca_bundle")),
        rate_limit=_int(data.get("rate_limit", 0)),
        base_path=_str(data.get("base_path") or ""),
        trailing_slash=_bool(data.get("trailing_slash", False)),
        encode_paths=_bool(data.get("encode_paths", True)),
        cdn=cdn_from_dict(data.get("cdn")),
        secret_headers=tuple(_str(n) for n in secret_headers),
    )


def split_url_template(template: str) -> dict[str, str]:
    """A version-1 URL template (paths and tags alike) as a path and a tag template.

    The old builder sent an unfilled placeholder literally (``&tag={tag}`` on a path
    request): a query parameter whose value is the other kind's placeholder is dropped.
    """
    out = {}
    for kind, other in (("path", "tag"), ("tag", "path")):
        text = _drop_param(template, "{" + other + "}")
        text = _drop_param(text, "{" + other + "s}")
        carries = "{" + other + "}" in template or "{" + other + "s}" in template
        lacks = "{" + kind + "}" not in text and "{" + kind + "s}" not in text
        key = "url_template" if kind == "path" else "tag_url_template"
        out[key] = "" if carries and lacks else text
    return out


def _drop_param(template: str, placeholder: str) -> str:
    head, sep, query = template.partition("?")
    if not sep:
        return template
    kept = [item for item in query.split("&") if item.partition("=")[2] != placeholder]
    return head + ("?" + "&".join(kept) if kept else "")


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _optional_str(value: Any) -> str | None:
    return None if value in (None, "") else _str(value)


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, got {value!r}")
    return value
