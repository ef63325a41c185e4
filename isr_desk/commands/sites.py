"""``isr-desk site ...`` and ``isr-desk secret ...``: profiles and their keyring secrets."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
from pathlib import Path
from typing import Any

from isr_desk.commands import Context, Subparsers
from isr_desk.commands._cdn_args import (
    cdn_rows,
    drop_stale_token,
    store_cdn_token,
    token_state,
)
from isr_desk.commands._secret_header_args import (
    add_secret_header_flags,
    read_secret_header_args,
    secret_header_states,
    secret_headers_text,
)
from isr_desk.commands._site_args import HelpFormatter, add_site_flags, apply_site_flags
from isr_desk.commands._site_args import profile_from_args as new_profile
from isr_desk.domain import SiteProfile
from isr_desk.services import logsafe
from isr_desk.services.errors import SecretError
from isr_desk.services.sites import (
    ProfileStore,
    check_secret,
    credential_headers,
    describe,
    preview_request,
    profile_to_dict,
    secret_in_query,
    shown_headers,
)

ADD_EXAMPLES = """\
examples:
  isr-desk site add blog --url https://blog.example.com --preset bearer --secret-stdin < secret.txt
  isr-desk site add shop --url https://shop.example.com --manifest https://shop.example.com/isr-manifest.json
  isr-desk site add cdn --url https://www.example.com --preset custom --method POST \\
      --url-template '{url}/purge' --tag-body '{"tags": ["{tag}"]}' --secret-in header \\
      --secret-name X-Purge-Key --rate-limit 600
  isr-desk site add intranet --url https://wiki.corp.example --proxy http://proxy.corp:3128 \\
      --ca-bundle /etc/corp/ca.pem
"""
EDIT_EXAMPLES = """\
examples:
  isr-desk site edit blog --concurrency 16 --rate-limit 1200
  isr-desk site edit blog --preset bearer --endpoint /api/revalidate-v2
  isr-desk site edit blog --rename blog-prod
  isr-desk site edit blog --cdn vercel --cdn-project blog --cdn-team team_x \
      --cdn-token-env VERCEL_TOKEN
"""
EXPORT_EXAMPLES = """\
examples:
  isr-desk site export > sites.json          all sites, on stdout
  isr-desk site export blog -o blog.json     one site, to a file
  isr-desk site export -o sites.json --force replace an older export
"""


def register(subparsers: Subparsers) -> None:
    site = subparsers.add_parser("site", help="add, edit, list, show, remove, export, import sites")
    site_cmds = site.add_subparsers(dest="site_command", metavar="ACTION", required=True)

    add = site_cmds.add_parser(
        "add",
        help="add a site",
        description="Add a site profile. Its secret goes to the system keyring, never a file.",
        epilog=ADD_EXAMPLES,
        formatter_class=HelpFormatter,
    )
    add.add_argument("name", help="a name for the site (used by every other command)")
    add.add_argument("--url", required=True, help="the site's base URL, e.g. https://example.com")
    add_site_flags(add)
    add_secret_header_flags(add)
    _secret_stdin(add, "read the secret from stdin and store it in the keyring")
    add.set_defaults(handler=_add)

    edit = site_cmds.add_parser(
        "edit",
        help="change some settings of a site",
        description="Change the settings given; every other setting stays as it is.",
        epilog=EDIT_EXAMPLES,
        formatter_class=HelpFormatter,
    )
    edit.add_argument("name", help="the site to change")
    edit.add_argument("--url", default=argparse.SUPPRESS, help="a new base URL")
    edit.add_argument("--rename", metavar="NEW", help="a new name (the secret moves with it)")
    add_site_flags(edit, edit=True)
    add_secret_header_flags(edit)
    edit.set_defaults(handler=_edit)

    listing = site_cmds.add_parser("list", help="list sites")
    listing.add_argument("--json", action="store_true", help="one JSON document")
    listing.set_defaults(handler=_list)

    show = site_cmds.add_parser("show", help="show one site and the request it sends")
    show.add_argument("name", help="the site to show")
    show.add_argument("--json", action="store_true", help="one JSON document")
    show.set_defaults(handler=_show)

    remove = site_cmds.add_parser("remove", help="remove a site and its secret")
    remove.add_argument("name", help="the site to remove")
    remove.set_defaults(handler=_remove)

    export = site_cmds.add_parser(
        "export",
        help="print sites as JSON, or write them to a file with -o (never secrets)",
        description="Print the sites (all, or those named) as JSON on stdout, or write them "
        "to FILE with -o. An existing FILE is replaced only with --force; FILE is written "
        "as given (no extension is added).",
        epilog=EXPORT_EXAMPLES,
        formatter_class=HelpFormatter,
    )
    export.add_argument("names", nargs="*", metavar="NAME", help="only these sites (default: all)")
    export.add_argument(
        "--site", action="append", dest="more_names", metavar="NAME", help=argparse.SUPPRESS
    )
    export.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write to FILE instead of stdout"
    )
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    export.set_defaults(handler=_export)

    imp = site_cmds.add_parser("import", help="add the sites of an export file")
    imp.add_argument("file", type=Path, help="a file `site export` wrote")
    imp.add_argument("--replace", action="store_true", help="replace sites with the same name")
    imp.add_argument(
        "--yes",
        action="store_true",
        help="confirm a local manifest source or a changed address/instances in the file",
    )
    imp.set_defaults(handler=_import)

    secret = subparsers.add_parser("secret", help="store or clear a site's secret (keyring)")
    secret_cmds = secret.add_subparsers(dest="secret_command", metavar="ACTION", required=True)
    set_ = secret_cmds.add_parser("set", help="store the secret (prompted without echo)")
    set_.add_argument("name", help="the site")
    _secret_stdin(set_, "read the secret from stdin instead of a prompt")
    set_.set_defaults(handler=_secret_set)
    clear = secret_cmds.add_parser("clear", help="delete the stored secret")
    clear.add_argument("name", help="the site")
    clear.set_defaults(handler=_secret_clear)


def _secret_stdin(parser: argparse.ArgumentParser, text: str) -> None:
    """``--secret-stdin`` everywhere; ``--stdin`` (the old spelling) still works, unlisted."""
    parser.add_argument("--secret-stdin", dest="secret_stdin", action="store_true", help=text)
    parser.add_argument("--stdin", dest="secret_stdin", action="store_true", help=argparse.SUPPRESS)


def profile_from_args(args: argparse.Namespace) -> SiteProfile:
    return new_profile(args, args.name, args.url)


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
    secret_headers = read_secret_header_args(args, ctx, profile.name)  # before anything is saved
    profile = store.add(secret_headers.apply(profile))
    ctx.out(f"Added site {profile.name!r}: {describe(profile)}")
    if detected:
        ctx.out(f"Detected from the build: {detected}")
    if args.secret_stdin:
        try:
            secret = read_secret(ctx, from_stdin=True, prompt="")
            check_secret(profile, secret)
            store.secrets.set(profile.name, secret)
        except SecretError as exc:
            ctx.err(f"isr-desk: the site was added but its secret was not stored: {exc.describe()}")
            return 2
        ctx.out("Secret stored in the system keyring.")
    else:
        ctx.out(f"Next: store its secret with `isr-desk secret set {profile.name}`.")
    return secret_headers.store(store, profile, ctx) or _cdn_token(store, profile, args, ctx)


def _cdn_token(
    store: ProfileStore, profile: SiteProfile, args: argparse.Namespace, ctx: Context
) -> int:
    try:
        store_cdn_token(store, profile, args, ctx)
    except SecretError as exc:
        ctx.err(f"isr-desk: the site was saved but its CDN token was not: {exc.describe()}")
        return 2
    return 0


def _detected(args: argparse.Namespace, profile: SiteProfile) -> tuple[SiteProfile, str | None]:
    """``profile`` with the conventions of its ``--manifest`` build where no flag set them."""
    if not profile.manifest_source:
        return profile, None
    from isr_desk.services.manifest import site_conventions

    site = site_conventions(profile.manifest_source)
    if site is None:
        return profile, None
    given = vars(args)
    changes: dict[str, Any] = {}
    if given.get("base_path") is None:
        changes["base_path"] = site.base_path
    if given.get("trailing_slash") is None:
        changes["trailing_slash"] = site.trailing_slash
    return dataclasses.replace(profile, **changes), site.summary()


def conventions_text(profile: SiteProfile) -> str:
    parts = [f"base path {profile.base_path}" if profile.base_path else "no base path"]
    parts.append("trailing slash" if profile.trailing_slash else "no trailing slash")
    parts.append("non-ASCII percent-encoded" if profile.encode_paths else "paths sent as typed")
    return ", ".join(parts)


def _edit(args: argparse.Namespace, ctx: Context) -> int:
    store = ProfileStore()
    old = store.get(args.name)
    changed = apply_site_flags(old, args)
    if "url" in vars(args):
        changed = dataclasses.replace(changed, base_url=args.url)
    if args.rename:
        changed = dataclasses.replace(changed, name=args.rename)
    secret_headers = read_secret_header_args(args, ctx, old.name)  # before anything is saved
    changed = secret_headers.apply(changed)
    if changed == old and not args.cdn_token_env and not secret_headers.given:
        ctx.out(f"Nothing to change for {old.name!r}: give the settings to change (see --help).")
        return 0
    profile = store.update(old.name, changed) if changed != old else old
    ctx.out(f"Updated site {profile.name!r}: {describe(profile)}")
    try:
        drop_stale_token(store, old, profile, args, ctx)
    except SecretError as exc:
        ctx.err(f"isr-desk: the old CDN token could not be removed: {exc.describe()}")
        return 2
    return secret_headers.store(store, profile, ctx) or _cdn_token(store, profile, args, ctx)


def _list(args: argparse.Namespace, ctx: Context) -> int:
    profiles = ProfileStore().list()
    if args.json:
        ctx.json_line({"sites": [_shown_dict(p) for p in profiles]})
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
        data = _shown_dict(profile)
        data["secret"] = secret_state
        if profile.cdn.enabled:
            data["cdn_token"] = token_state(profile, store)
        if profile.secret_headers:
            data["secret_header_values"] = secret_header_states(profile, store)
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
    if profile.rate_limit:
        rows.append(("Rate limit", f"{profile.rate_limit} requests a minute"))
    if profile.proxy:
        rows.append(("Proxy", profile.proxy))
    if profile.ca_bundle:
        rows.append(("CA bundle", profile.ca_bundle))
    if profile.headers:
        rows.append(("Headers", ", ".join(f"{k}: {v}" for k, v in shown_headers(profile))))
    if profile.secret_headers:
        rows.append(("Secret hdrs", secret_headers_text(profile, store)))
    rows += cdn_rows(profile, store)
    if secret_in_query(profile):
        rows.append(("Note", "the secret travels in the URL; the bearer preset keeps it out"))
    for name in credential_headers(profile):
        rows.append(("Note", f"header {name!r} looks like a credential: {_MOVE_IT}"))
    for key, value in rows:
        ctx.out(f"{key + ':':<13}{value}")
    return 0


_MOVE_IT = "keep it in the keyring as the site's secret instead (see `site edit --help`)"


def _shown_dict(profile: SiteProfile) -> dict[str, Any]:
    """``profile`` as JSON with a credential-looking header's value as ``•••``."""
    return profile_to_dict(dataclasses.replace(profile, headers=shown_headers(profile)))


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
    names = [*args.names, *(args.more_names or [])] or None
    store = ProfileStore()
    for profile in store.list():
        for header in credential_headers(profile) if names is None or profile.name in names else []:
            ctx.err(
                f"isr-desk: warning: header {header!r} of site {profile.name!r} was left out: "
                f"it looks like a credential; {_MOVE_IT}"
            )
    if args.output is None:
        ctx.stdout.write(store.export_text(names))
        ctx.stdout.flush()
        return 0
    count = store.export(args.output, names, overwrite=args.force)
    ctx.out(f"Exported {count} site(s) to {args.output} (secrets are never exported).")
    return 0


def _import(args: argparse.Namespace, ctx: Context) -> int:
    added = ProfileStore().import_(args.file, replace_existing=args.replace, confirmed=args.yes)
    names = ", ".join(p.name for p in added) or "none"
    ctx.out(f"Imported {len(added)} site(s): {names}. Set their secrets with `secret set`.")
    return 0


def _secret_set(args: argparse.Namespace, ctx: Context) -> int:
    store = ProfileStore()
    profile = store.get(args.name)
    secret = read_secret(ctx, from_stdin=args.secret_stdin, prompt=f"Secret for {profile.name}: ")
    check_secret(profile, secret)
    store.secrets.set(profile.name, secret)
    ctx.out(f"Secret for {profile.name!r} stored in the system keyring.")
    return 0


def _secret_clear(args: argparse.Namespace, ctx: Context) -> int:
    name = ProfileStore().get(args.name).name
    from isr_desk.services.sites import SecretStore

    removed = SecretStore().delete(name)
    ctx.out(f"Secret for {name!r} deleted." if removed else f"No secret was stored for {name!r}.")
    return 0
