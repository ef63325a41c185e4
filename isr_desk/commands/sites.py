"""``isr-desk site ...`` and ``isr-desk secret ...``: profiles and their keyring secrets."""

from __future__ import annotations

import argparse
import getpass
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from isr_desk.commands import Context, Subparsers
from isr_desk.domain import Endpoint, Preset, SecretPlacement, SiteProfile
from isr_desk.services import logsafe
from isr_desk.services.errors import InvalidProfileError, SecretError
from isr_desk.services.sites import (
    ProfileStore,
    describe,
    preview_request,
    profile_to_dict,
    secret_in_query,
    split_url_template,
)


def register(subparsers: Subparsers) -> None:
    site = subparsers.add_parser("site", help="add, list, show, remove, export, import sites")
    site_cmds = site.add_subparsers(dest="site_command", metavar="ACTION", required=True)

    add = site_cmds.add_parser("add", help="add a site")
    add.add_argument("name")
    add.add_argument("--url", required=True, help="the site's base URL, e.g. https://example.com")
    _endpoint_options(add)
    add.add_argument("--secret-stdin", action="store_true", help="read the secret from stdin")
    add.set_defaults(handler=_add)

    listing = site_cmds.add_parser("list", help="list sites")
    listing.add_argument("--json", action="store_true", help="one JSON document")
    listing.set_defaults(handler=_list)

    set_site = site_cmds.add_parser(
        "set", help="change a site's conventions (base path, trailing slash, path encoding)"
    )
    set_site.add_argument("name")
    _convention_options(set_site)
    set_site.set_defaults(handler=_set)

    show = site_cmds.add_parser("show", help="show one site and the request it sends")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)

    remove = site_cmds.add_parser("remove", help="remove a site and its secret")
    remove.add_argument("name")
    remove.set_defaults(handler=_remove)

    export = site_cmds.add_parser("export", help="write sites to a file (never secrets)")
    export.add_argument("file", type=Path)
    export.add_argument("--site", action="append", dest="names", help="only this site")
    export.set_defaults(handler=_export)

    imp = site_cmds.add_parser("import", help="add the sites of an export file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--replace", action="store_true", help="replace sites with the same name")
    imp.set_defaults(handler=_import)

    secret = subparsers.add_parser("secret", help="store or clear a site's secret (keyring)")
    secret_cmds = secret.add_subparsers(dest="secret_command", metavar="ACTION", required=True)
    set_ = secret_cmds.add_parser("set", help="store the secret (prompted without echo)")
    set_.add_argument("name")
    set_.add_argument("--stdin", action="store_true", help="read the secret from stdin")
    set_.set_defaults(handler=_secret_set)
    clear = secret_cmds.add_parser("clear", help="delete the stored secret")
    clear.add_argument("name")
    clear.set_defaults(handler=_secret_clear)


def _endpoint_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("endpoint")
    group.add_argument("--preset", choices=[p.value for p in Preset], default="app-router")
    group.add_argument("--endpoint", default="/api/revalidate", help="route path on the site")
    group.add_argument("--manifest", help="manifest source: .next dir, file or URL")
    group.add_argument("--concurrency", type=int, default=8)
    group.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    group.add_argument("--retries", type=int, default=2)
    group.add_argument("--batch", type=int, default=0, help="items per request (0 = off)")
    group.add_argument(
        "--header", action="append", default=[], metavar="NAME:VALUE", help="extra header"
    )
    group.add_argument("--instance", action="append", default=[], metavar="URL")
    _convention_options(parser)
    custom = parser.add_argument_group("custom preset")
    custom.add_argument("--method", default="POST")
    custom.add_argument(
        "--url-template",
        default="{url}/api/revalidate",
        help="address of a path request ({url} {path} {paths} {type} {secret}); '' = no paths",
    )
    custom.add_argument(
        "--tag-url-template",
        default=None,
        help="address of a tag request ({url} {tag} {tags} {secret}); '' = no tags "
        "(default: the path address without its {path} parameter)",
    )
    custom.add_argument("--path-body", default='{"path": "{path}"}')
    custom.add_argument("--tag-body", default='{"tag": "{tag}"}')
    custom.add_argument("--secret-in", choices=[p.value for p in SecretPlacement], default="query")
    custom.add_argument("--secret-name", default="secret", help="query parameter or header")


def _convention_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "site conventions (detected from a .next build given as --manifest)"
    )
    group.add_argument("--base-path", default=None, help="next.config basePath, e.g. /shop")
    slash = group.add_mutually_exclusive_group()
    slash.add_argument(
        "--trailing-slash", dest="trailing_slash", action="store_true", default=None,
        help="next.config trailingSlash: true (paths are sent as /blog/x/)",
    )  # fmt: skip
    slash.add_argument("--no-trailing-slash", dest="trailing_slash", action="store_false")
    group.add_argument(
        "--raw-paths", action="store_true", default=None,
        help="send non-ASCII paths as typed, not percent-encoded",
    )  # fmt: skip


def _tag_url(args: argparse.Namespace) -> str:
    if args.tag_url_template is not None:
        return str(args.tag_url_template)
    return str(split_url_template(args.url_template)["tag_url_template"])


def profile_from_args(args: argparse.Namespace) -> SiteProfile:
    headers = []
    for item in args.header:
        key, sep, value = item.partition(":")
        if not sep:
            raise InvalidProfileError(f"--header {item!r} must look like NAME:VALUE")
        headers.append((key.strip(), value.strip()))
    endpoint = Endpoint(
        preset=Preset(args.preset),
        path=args.endpoint,
        method=args.method,
        url_template=args.url_template,
        tag_url_template=_tag_url(args),
        path_body_template=args.path_body,
        tag_body_template=args.tag_body,
        secret_placement=SecretPlacement(args.secret_in),
        secret_name=args.secret_name,
        batch_size=args.batch,
    )
    return SiteProfile(
        name=args.name,
        base_url=args.url,
        endpoint=endpoint,
        manifest_source=args.manifest,
        concurrency=args.concurrency,
        timeout=args.timeout,
        retries=args.retries,
        headers=tuple(headers),
        instances=tuple(args.instance),
        base_path=args.base_path or "",
        trailing_slash=bool(args.trailing_slash),
        encode_paths=not args.raw_paths,
    )


def _detected(args: argparse.Namespace, profile: SiteProfile) -> tuple[SiteProfile, str | None]:
    """``profile`` with the conventions of its ``--manifest`` build where no flag set them."""
    if not profile.manifest_source:
        return profile, None
    from isr_desk.services.manifest import site_conventions

    site = site_conventions(profile.manifest_source)
    if site is None:
        return profile, None
    changes: dict[str, Any] = {}
    if args.base_path is None:
        changes["base_path"] = site.base_path
    if args.trailing_slash is None:
        changes["trailing_slash"] = site.trailing_slash
    return replace(profile, **changes), site.summary()


def read_secret(ctx: Context, *, from_stdin: bool, prompt: str) -> str:
    """A secret from stdin (one line) or an echo-less prompt; never from argv."""
    if from_stdin or not ctx.stdin.isatty():
        secret = ctx.stdin.readline().strip()
    else:
        secret = getpass.getpass(prompt)
    if not secret:
        raise SecretError("No secret was given", hint='Pipe it in: printf %s "$SECRET" | ...')
    logsafe.remember(secret)
    return secret


def _add(args: argparse.Namespace, ctx: Context) -> int:
    store = ProfileStore()
    profile, detected = _detected(args, profile_from_args(args))
    profile = store.add(profile)
    ctx.out(f"Added site {profile.name!r}: {describe(profile)}")
    if detected:
        ctx.out(f"Detected from the build: {detected}")
    if args.secret_stdin:
        try:
            store.secrets.set(profile.name, read_secret(ctx, from_stdin=True, prompt=""))
        except SecretError as exc:
            ctx.err(f"isr-desk: the site was added but its secret was not stored: {exc.describe()}")
            return 2
        ctx.out("Secret stored in the system keyring.")
    else:
        ctx.out(f"Next: store its secret with `isr-desk secret set {profile.name}`.")
    return 0


def _list(args: argparse.Namespace, ctx: Context) -> int:
    profiles = ProfileStore().list()
    if args.json:
        ctx.json_line({"sites": [profile_to_dict(p) for p in profiles]})
        return 0
    if not profiles:
        ctx.out("No sites yet. Add one with: isr-desk site add NAME --url URL")
        return 0
    width = max(len(p.name) for p in profiles)
    for p in profiles:
        ctx.out(f"{p.name:<{width}}  {p.base_url}  ({p.endpoint.preset.value})")
    return 0


def _show(args: argparse.Namespace, ctx: Context) -> int:
    store = ProfileStore()
    profile = store.get(args.name)
    try:
        secret_state = "stored in the system keyring" if store.secrets.has(profile.name) else "none"
    except SecretError as exc:
        secret_state = f"unknown ({exc.message})"
    request = preview_request(profile)
    if args.json:
        data = profile_to_dict(profile)
        data["secret"] = secret_state
        data["request"] = {"method": request.method, "url": request.url}
        ctx.out(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    rows = [
        ("Site", profile.name),
        ("URL", profile.base_url),
        ("Preset", profile.endpoint.preset.value),
        ("Request", f"{request.method} {request.url}"),
        ("Body", request.body.decode() if request.body else "(none)"),
        ("Manifest", profile.manifest_source or "(none)"),
        ("Conventions", conventions_text(profile)),
        ("Concurrency", str(profile.concurrency)),
        ("Timeout", f"{profile.timeout:g} s"),
        ("Retries", str(profile.retries)),
        ("Secret", secret_state),
    ]
    if profile.instances:
        rows.append(("Instances", ", ".join(profile.instances)))
    if secret_in_query(profile):
        rows.append(("Note", "the secret travels in the URL; the bearer preset keeps it out"))
    for key, value in rows:
        ctx.out(f"{key + ':':<13}{value}")
    return 0


def _set(args: argparse.Namespace, ctx: Context) -> int:
    store = ProfileStore()
    profile = store.get(args.name)
    changes: dict[str, Any] = {}
    if args.base_path is not None:
        changes["base_path"] = args.base_path
    if args.trailing_slash is not None:
        changes["trailing_slash"] = args.trailing_slash
    if args.raw_paths is not None:
        changes["encode_paths"] = not args.raw_paths
    if not changes:
        raise InvalidProfileError(
            "Nothing to change", hint="Give --base-path, --trailing-slash or --no-trailing-slash"
        )
    profile = store.update(profile.name, replace(profile, **changes))
    ctx.out(f"Site {profile.name!r}: {conventions_text(profile)}")
    return 0


def conventions_text(profile: SiteProfile) -> str:
    parts = [f"base path {profile.base_path}" if profile.base_path else "no base path"]
    parts.append("trailing slash" if profile.trailing_slash else "no trailing slash")
    parts.append("non-ASCII percent-encoded" if profile.encode_paths else "paths sent as typed")
    return ", ".join(parts)


def _remove(args: argparse.Namespace, ctx: Context) -> int:
    store = ProfileStore()
    try:
        store.remove(args.name)
    except SecretError as exc:
        # A locked or missing keyring must not keep a site the user wants gone.
        store.remove(args.name, keep_secret=True)
        ctx.out(f"Removed site {args.name!r}.")
        ctx.err(f"isr-desk: warning: its secret was not deleted: {exc.describe()}")
        return 0
    ctx.out(f"Removed site {args.name!r} and its secret.")
    return 0


def _export(args: argparse.Namespace, ctx: Context) -> int:
    count = ProfileStore().export(args.file, args.names)
    ctx.out(f"Exported {count} site(s) to {args.file} (secrets are never exported).")
    return 0


def _import(args: argparse.Namespace, ctx: Context) -> int:
    added = ProfileStore().import_(args.file, replace_existing=args.replace)
    names = ", ".join(p.name for p in added) or "none"
    ctx.out(f"Imported {len(added)} site(s): {names}. Set their secrets with `secret set`.")
    return 0


def _secret_set(args: argparse.Namespace, ctx: Context) -> int:
    store = ProfileStore()
    profile = store.get(args.name)
    secret = read_secret(ctx, from_stdin=args.stdin, prompt=f"Secret for {profile.name}: ")
    store.secrets.set(profile.name, secret)
    ctx.out(f"Secret for {profile.name!r} stored in the system keyring.")
    return 0


def _secret_clear(args: argparse.Namespace, ctx: Context) -> int:
    name = ProfileStore().get(args.name).name
    from isr_desk.services.sites import SecretStore

    removed = SecretStore().delete(name)
    ctx.out(f"Secret for {name!r} deleted." if removed else f"No secret was stored for {name!r}.")
    return 0
