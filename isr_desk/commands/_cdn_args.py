"""The CDN flags of ``site add`` / ``site edit`` / an inline site, and ``--purge-cdn``.

``--cdn vercel --cdn-project P [--cdn-team T] [--cdn-target production|preview]`` or ``--cdn
cloudflare --cdn-zone Z [--cdn-purge urls|prefixes|hosts]``; ``--cdn none`` clears it. The
API token is read from ``--cdn-token-env VAR`` or an echo-less prompt and goes to the system
keyring beside the site's secret (never to the profile file, an export or a log): see
docs/cdn.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import os
from typing import TYPE_CHECKING, Any

from isr_desk.domain import CdnProvider, CdnSettings, PathPurge, SiteProfile
from isr_desk.services import logsafe
from isr_desk.services.errors import InvalidProfileError, SecretError

if TYPE_CHECKING:
    from isr_desk.commands import Context
    from isr_desk.services.sites import ProfileStore

# (flag, settings field, choices, metavar, help)
_FLAGS: tuple[tuple[str, str, list[str] | None, str | None, str], ...] = (
    ("--cdn", "provider", [p.value for p in CdnProvider], None,
     "the CDN in front of the site, purged after the origin with --purge-cdn (none clears it)"),
    ("--cdn-project", "project", None, "P", "Vercel: the project id or name"),
    ("--cdn-team", "team", None, "T", "Vercel: the team id (teamId), if the project is a team's"),
    ("--cdn-target", "target", ["production", "preview"], None,
     "Vercel: which deployments' cache to invalidate (default production)"),
    ("--cdn-zone", "zone", None, "Z", "Cloudflare: the zone id"),
    ("--cdn-purge", "path_purge", [p.value for p in PathPurge], None,
     "Cloudflare: purge a page by its URL, by URL prefix (it and all under it), or the host"),
    ("--cdn-public-url", "public_url", None, "URL",
     "where visitors see the site, if not the base URL (page URLs are named there)"),
)  # fmt: skip


def add_cdn_flags(parser: argparse.ArgumentParser, *, edit: bool = False) -> None:
    group = parser.add_argument_group("CDN (docs/cdn.md; the token goes to the keyring)")
    for flag, dest, choices, metavar, text in _FLAGS:
        group.add_argument(
            flag,
            dest=f"cdn_{dest}",
            choices=choices,
            metavar=metavar,
            help=text,
            default=argparse.SUPPRESS,
        )
    default = group.add_mutually_exclusive_group()
    default.add_argument(
        "--cdn-by-default", dest="cdn_by_default", action="store_const", const=True,
        default=argparse.SUPPRESS, help="every run of the site purges the CDN too",
    )  # fmt: skip
    default.add_argument(
        "--no-cdn-by-default", dest="cdn_by_default", action="store_const", const=False,
        default=argparse.SUPPRESS, help="purge the CDN only with --purge-cdn",
    )  # fmt: skip
    group.add_argument(
        "--cdn-token-env",
        metavar="VAR",
        default=None,
        help="read the CDN API token from environment variable VAR (site add/edit store it "
        "in the keyring; a run uses it for that run)",
    )


def apply_cdn_flags(profile: SiteProfile, args: argparse.Namespace) -> SiteProfile:
    """``profile`` with the CDN flags given in ``args`` applied."""
    given = {
        k[4:]: v for k, v in vars(args).items() if k.startswith("cdn_") and k != "cdn_token_env"
    }
    if not given:
        return profile
    changes: dict[str, Any] = {}
    for key, value in given.items():
        if key == "provider":
            value = CdnProvider(value)
        elif key == "path_purge":
            value = PathPurge(value)
        changes[key] = value
    cdn = profile.cdn
    if changes.get("provider") is CdnProvider.NONE:
        return dataclasses.replace(profile, cdn=CdnSettings())
    if "provider" not in changes and not cdn.enabled:
        raise InvalidProfileError(
            "CDN settings need a provider", hint="Add --cdn vercel or --cdn cloudflare"
        )
    cdn = dataclasses.replace(cdn, **changes)
    if cdn.provider is CdnProvider.VERCEL and not cdn.project.strip():
        raise InvalidProfileError(
            "A Vercel CDN needs its project (id or name): give --cdn-project",
            hint="Add --cdn-project NAME (and --cdn-team T for a team's project)",
        )
    if cdn.provider is CdnProvider.CLOUDFLARE and not cdn.zone.strip():
        raise InvalidProfileError(
            "A Cloudflare CDN needs its zone id: give --cdn-zone", hint="Add --cdn-zone ZONE_ID"
        )
    return dataclasses.replace(profile, cdn=cdn)


def token_from_env(args: argparse.Namespace) -> str | None:
    """The token of ``--cdn-token-env VAR``; None when the flag is not given."""
    var = getattr(args, "cdn_token_env", None)
    if not var:
        return None
    token = os.environ.get(var, "").strip()
    if not token:
        raise SecretError(f"The environment variable {var} is not set or empty")
    logsafe.remember(token)
    return token


def store_cdn_token(
    store: ProfileStore, profile: SiteProfile, args: argparse.Namespace, ctx: Context
) -> None:
    """After ``site add``/``edit``: keep the token given (env or prompt) in the keyring."""
    from isr_desk.services.sites import check_token

    if not profile.cdn.enabled:
        return
    token = token_from_env(args)
    if token is None and ctx.stdin.isatty() and not getattr(args, "secret_stdin", False):
        name = profile.cdn.provider.label
        token = getpass.getpass(f"{name} API token for {profile.name} (empty: set later): ")
        logsafe.remember(token.strip())
    if not token or not token.strip():
        if not store.cdn_tokens.has(profile.name):
            ctx.out(
                f"Next: store its CDN API token with `isr-desk site edit {profile.name} "
                "--cdn-token-env VAR`."
            )
        return
    store.cdn_tokens.set(profile.name, check_token(token))
    ctx.out(f"{profile.cdn.provider.label} API token stored in the system keyring.")


def drop_stale_token(
    store: ProfileStore, old: SiteProfile, new: SiteProfile, args: argparse.Namespace, ctx: Context
) -> None:
    """After ``site edit``: a token of the provider the site no longer uses is deleted, so it
    is never sent to another provider's API (docs/cdn.md, "The API token")."""
    was, now = old.cdn.provider, new.cdn.provider
    if was is now or not old.cdn.enabled or not store.cdn_tokens.has(new.name):
        return
    store.cdn_tokens.delete(new.name)
    removed = f"The {was.label} token was removed from the system keyring"
    if not new.cdn.enabled:
        ctx.out(removed + ".")
    elif not getattr(args, "cdn_token_env", None):
        ctx.out(
            f"{removed}; set the {now.label} token with "
            f"`isr-desk site edit {new.name} --cdn-token-env VAR`."
        )
    else:
        ctx.out(removed + ".")


def cdn_rows(profile: SiteProfile, store: ProfileStore) -> list[tuple[str, str]]:
    """``site show``'s CDN lines: the settings and whether a token is stored (never it)."""
    cdn = profile.cdn
    if not cdn.enabled:
        return [("CDN", "none")]
    if cdn.provider is CdnProvider.VERCEL:
        where = f"project {cdn.project}" + (f", team {cdn.team}" if cdn.team else "")
        where += f", target {cdn.target}"
    else:
        where = f"zone {cdn.zone}, paths purged as {cdn.path_purge.value}"
    rows = [("CDN", f"{cdn.provider.label}: {where}")]
    if cdn.public_url:
        rows.append(("CDN URLs on", cdn.public_url))
    rows.append(("CDN purge", "every run" if cdn.by_default else "with --purge-cdn"))
    rows.append(("CDN token", token_state(profile, store)))
    return rows


def token_state(profile: SiteProfile, store: ProfileStore) -> str:
    try:
        return "stored in the system keyring" if store.cdn_tokens.has(profile.name) else "none"
    except SecretError as exc:
        return f"unknown ({exc.message})"
