"""The flags that describe a site, shared by ``site add``, ``site edit`` and the inline site of
``revalidate`` / ``doctor``; and where a command's site and secret come from.

A CI job has no keyring and no stored profile: it names the site inline (``--url`` and the
other flags) or in a profile file (``--site-file``, the shape ``site export`` writes), and
the secret in an environment variable (``--secret-env VAR``) or on stdin (``--secret-stdin``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from isr_desk.domain import Preset, SecretPlacement, SiteProfile
from isr_desk.services.errors import InvalidProfileError, SecretError
from isr_desk.services.sites import check_headers, split_url_template

if TYPE_CHECKING:
    from isr_desk.commands import Context
    from isr_desk.services.sites import ProfileStore


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """A flag's default after its help (when it has a real one); examples kept as written."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            not action.option_strings
            or "%(default)" in text
            or default in (None, False, argparse.SUPPRESS)
            or default == []
        ):
            return text
        return f"{text} (default: %(default)s)"


# (flag, field, type, default, metavar, help): one table for add, edit and inline sites.
_SITE_FLAGS: tuple[tuple[str, str, Any, Any, str | None, str], ...] = (
    ("--preset", "preset", str, Preset.APP_ROUTER.value, None,
     "endpoint convention: app-router (POST, ?secret=), pages-router (GET), bearer "
     "(Authorization header), get-query (GET ?secret=&path= or &tag=, the Next.js docs' "
     "route) or custom"),
    ("--endpoint", "endpoint", str, "/api/revalidate", "PATH", "route path on the site"),
    ("--manifest", "manifest", str, None, "SOURCE",
     "where the site's pages and tags are listed: a .next dir, a file or a URL"),
    ("--concurrency", "concurrency", int, 8, "N", "requests in flight at once"),
    ("--timeout", "timeout", float, 10.0, "S", "seconds per request, every retry included"),
    ("--retries", "retries", int, 2, "N",
     "extra tries after a timeout, a refused connection, a 5xx or a 429"),
    ("--rate-limit", "rate_limit", int, 0, "N",
     "at most N requests a minute, evenly spaced (0 = no limit); hosts such as Cloudflare "
     "cap purges per minute"),
    ("--batch", "batch", int, 0, "N", "items per request as {\"paths\": [...]} (0 = one each)"),
    ("--proxy", "proxy", str, None, "URL",
     "this site's forward proxy (http://host:port), or 'direct' for none; unset: the "
     "HTTPS_PROXY/HTTP_PROXY/NO_PROXY environment"),
    ("--ca-bundle", "ca_bundle", str, None, "FILE",
     "a PEM file of the private CA that signs this site, trusted beside the system store"),
)  # fmt: skip
_CUSTOM_FLAGS: tuple[tuple[str, str, Any, Any, str | None, str], ...] = (
    ("--method", "method", str, "POST", None, "HTTP method"),
    ("--url-template", "url_template", str, "{url}/api/revalidate", "TEMPLATE",
     "path request URL; may use {url} {path} {paths} {type} {secret}; '' = no paths"),
    ("--tag-url-template", "tag_url_template", str, None, "TEMPLATE",
     "tag request URL; may use {url} {tag} {tags} {secret}; '' = no tags (unset: the path "
     "URL without its {path} parameter)"),
    ("--path-body", "path_body", str, '{"path": "{path}"}', "TEMPLATE", "body for a path"),
    ("--tag-body", "tag_body", str, '{"tag": "{tag}"}', "TEMPLATE", "body for a tag"),
    ("--secret-in", "secret_in", str, SecretPlacement.QUERY.value, None,
     "where the secret goes: query (?NAME=), header (NAME:) or template (only {secret})"),
    ("--secret-name", "secret_name", str, "secret", "NAME", "query parameter or header name"),
)  # fmt: skip
_CHOICES = {
    "preset": [p.value for p in Preset],
    "secret_in": [p.value for p in SecretPlacement],
}


def add_site_flags(parser: argparse.ArgumentParser, *, edit: bool = False) -> None:
    """The site's flags; with ``edit``, none has a default (an absent flag changes nothing)."""
    title = "site" if not edit else "site (unset: as stored; with --url: as `site add` says)"
    group = parser.add_argument_group(title)
    for flags, into in ((_SITE_FLAGS, group), (_CUSTOM_FLAGS, None)):
        target = into or parser.add_argument_group("custom preset (--preset custom)")
        for flag, dest, kind, default, metavar, text in flags:
            target.add_argument(
                flag,
                dest=dest,
                type=kind,
                choices=_CHOICES.get(dest),
                metavar=metavar,
                help=text,
                default=argparse.SUPPRESS if edit else default,
            )
    group.add_argument(
        "--header",
        action="append",
        default=argparse.SUPPRESS if edit else [],
        metavar="NAME:VALUE",
        help="extra header on every request (repeat for more; with site edit: replaces all, "
        "'' removes all); a credential (Authorization, Cookie, *token*, *secret*, *key*, "
        "*auth* …) is refused: it belongs in the keyring as the site's secret",
    )
    group.add_argument(
        "--instance",
        action="append",
        default=argparse.SUPPRESS if edit else [],
        metavar="URL",
        help="a replica's base URL: revalidate every instance of a self-hosted site (repeat)",
    )
    _convention_flags(parser, edit=edit)


def _convention_flags(parser: argparse.ArgumentParser, *, edit: bool) -> None:
    """basePath / trailingSlash / encoding (docs/conventions.md); detected by ``site add
    --manifest .next`` when not given."""
    group = parser.add_argument_group("site conventions (unset: from a .next --manifest)")
    unset = argparse.SUPPRESS if edit else None
    group.add_argument(
        "--base-path", default=unset, metavar="PATH", help="next.config basePath, e.g. /shop"
    )
    slash = group.add_mutually_exclusive_group()
    slash.add_argument(
        "--trailing-slash", dest="trailing_slash", action="store_const", const=True,
        default=unset, help="next.config trailingSlash: true (paths sent as /blog/x/)",
    )  # fmt: skip
    slash.add_argument(
        "--no-trailing-slash", dest="trailing_slash", action="store_const", const=False,
        default=unset, help="next.config without trailingSlash (paths sent as /blog/x)",
    )  # fmt: skip
    encoding = group.add_mutually_exclusive_group()
    encoding.add_argument(
        "--raw-paths", dest="encode_paths", action="store_const", const=False, default=unset,
        help="send non-ASCII paths as typed, not percent-encoded",
    )  # fmt: skip
    encoding.add_argument(
        "--encoded-paths", dest="encode_paths", action="store_const", const=True,
        default=unset, help="send non-ASCII paths percent-encoded, as Next's cache keys are",
    )  # fmt: skip


def _headers(items: list[str]) -> tuple[tuple[str, str], ...]:
    """``--header NAME:VALUE`` items (``''`` alone: no headers); a credential is refused."""
    headers = []
    for item in items:
        if not item.strip():
            continue
        key, sep, value = item.partition(":")
        if not sep:  # the item is not echoed: it may be a token typed without its name
            raise InvalidProfileError("--header must look like NAME:VALUE, e.g. X-Team:web")
        headers.append((key.strip(), value.strip()))
    check_headers(headers)
    return tuple(headers)


def profile_from_args(args: argparse.Namespace, name: str, url: str) -> SiteProfile:
    """A new profile from the site flags (their defaults where not given)."""
    base = SiteProfile(name=name, base_url=url)
    return apply_site_flags(base, args, every=True)


def apply_site_flags(
    profile: SiteProfile, args: argparse.Namespace, *, every: bool = False
) -> SiteProfile:
    """``profile`` with the site flags present in ``args`` applied (``site edit``)."""
    given = vars(args)
    endpoint_fields = {
        "preset": ("preset", Preset),
        "endpoint": ("path", str),
        "method": ("method", str),
        "url_template": ("url_template", str),
        "tag_url_template": ("tag_url_template", str),
        "path_body": ("path_body_template", str),
        "tag_body": ("tag_body_template", str),
        "secret_in": ("secret_placement", SecretPlacement),
        "secret_name": ("secret_name", str),
        "batch": ("batch_size", int),
    }
    endpoint: dict[str, Any] = {}
    for dest, (field, kind) in endpoint_fields.items():
        if dest in given and given[dest] is not None:
            endpoint[field] = kind(given[dest])
    if "url_template" in endpoint and given.get("tag_url_template") is None:
        # One URL template given (as before tag templates existed): the tag request uses
        # it without the parameter that carries the path.
        endpoint["tag_url_template"] = split_url_template(endpoint["url_template"])[
            "tag_url_template"
        ]
    changes: dict[str, Any] = {}
    for dest in ("concurrency", "timeout", "retries", "rate_limit", "proxy", "ca_bundle"):
        if dest in given:
            changes[dest] = given[dest]
    for dest in ("base_path", "trailing_slash", "encode_paths"):
        if given.get(dest) is not None:
            changes[dest] = given[dest]
    if "manifest" in given:
        changes["manifest_source"] = given["manifest"] or None
    if "header" in given and (every or given["header"]):
        changes["headers"] = _headers(given["header"])
    if "instance" in given and (every or given["instance"]):
        changes["instances"] = tuple(given["instance"])
    if endpoint:
        changes["endpoint"] = dataclasses.replace(profile.endpoint, **endpoint)
    return dataclasses.replace(profile, **changes)


# --- a command's site and secret ------------------------------------------------------------


def add_site_source_flags(parser: argparse.ArgumentParser) -> None:
    """``NAME`` (a stored site), or ``--url`` + site flags, or ``--site-file`` (CI)."""
    parser.add_argument(
        "name",
        nargs="?",
        help="a stored site (see `isr-desk site list`); with --url or --site-file: its name",
    )
    source = parser.add_argument_group("a site without a stored profile (CI)")
    source.add_argument(
        "--url", metavar="URL", help="the site's base URL: use this site instead of a stored one"
    )
    source.add_argument(
        "--site-file",
        type=Path,
        metavar="FILE",
        help="a profile file (as `site export` writes it): NAME picks one when it has several",
    )
    add_site_flags(parser, edit=True)
    add_secret_flags(parser, purpose="for this run")


def add_secret_flags(parser: argparse.ArgumentParser, *, purpose: str) -> None:
    group = parser.add_argument_group("secret (default: the system keyring)")
    group.add_argument(
        "--secret-stdin", action="store_true", help=f"read the secret from stdin {purpose}"
    )
    group.add_argument(
        "--secret-env",
        metavar="VAR",
        help=f"read the secret from environment variable VAR {purpose} (CI secrets)",
    )


def inline_site(args: argparse.Namespace) -> bool:
    return args.url is not None or args.site_file is not None


def resolve_site(args: argparse.Namespace, store: ProfileStore) -> SiteProfile:
    """The stored profile NAME, or the inline / file profile (site flags override it)."""
    from isr_desk.services.sites import load_profile_file, validate_profile

    if args.url is not None and args.site_file is not None:
        raise InvalidProfileError("Give --url or --site-file, not both")
    if args.site_file is not None:
        profile = load_profile_file(args.site_file, args.name)
    elif args.url is not None:
        profile = SiteProfile(name=args.name or "inline", base_url=args.url)
    elif args.name is None:
        raise InvalidProfileError(
            "Which site?", hint="Give a stored site's NAME, or --url URL, or --site-file FILE"
        )
    else:
        profile = store.get(args.name)
    return validate_profile(apply_site_flags(profile, args))


def resolve_secret(args: argparse.Namespace, ctx: Context) -> str | None:
    """From ``--secret-env`` or ``--secret-stdin``; None: a stored site's, in the keyring."""
    from isr_desk.commands.sites import read_secret
    from isr_desk.services import logsafe

    if args.secret_env:
        secret = os.environ.get(args.secret_env, "").strip()
        if not secret:
            raise SecretError(
                f"The environment variable {args.secret_env} is not set or empty",
                hint="In GitHub Actions: env: {VAR}: ${{ secrets.NAME }}".replace(
                    "{VAR}", args.secret_env
                ),
            )
        logsafe.remember(secret)
        return secret
    if args.secret_stdin:
        return read_secret(ctx, from_stdin=True, prompt="")
    if inline_site(args):
        raise SecretError(
            "A site given with --url or --site-file has no stored secret",
            hint="Give --secret-env VAR or --secret-stdin",
        )
    return None
