"""``site add/edit --secret-header NAME``: a header whose value is kept in the keyring.

``--secret-header NAME`` asks the value without echo; ``--secret-header-env NAME=VAR`` reads
it from the environment (CI); ``--remove-secret-header NAME`` stops sending it and deletes its
value. The names go to the profile, the values to the keyring only
(services/sites/_secret_headers.py; docs/reliability.md, "Credential headers"). The values
are read before anything is saved: a missing variable changes nothing.
"""

from __future__ import annotations

import argparse
import getpass
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from isr_desk.commands import Context
from isr_desk.domain import REDACTED, Manifest, SiteProfile
from isr_desk.services import logsafe
from isr_desk.services.errors import SecretError
from isr_desk.services.sites import (
    ProfileStore,
    check_secret_header_name,
    check_secret_header_value,
    with_secret_header_names,
    with_secret_headers,
    without_secret_header_names,
)

if TYPE_CHECKING:
    from isr_desk.services.http import Network


def add_secret_header_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "secret headers (sent on every request to the site; values in the keyring only)"
    )
    group.add_argument(
        "--secret-header",
        action="append",
        default=[],
        metavar="NAME",
        help="a header whose value is a credential (x-vercel-protection-bypass, Cookie, an API "
        "gateway key): its value is asked without echo and kept in the keyring (repeat)",
    )
    group.add_argument(
        "--secret-header-env",
        action="append",
        default=[],
        metavar="NAME=VAR",
        help="the same, its value read from the environment variable VAR (CI)",
    )
    group.add_argument(
        "--remove-secret-header",
        action="append",
        default=[],
        metavar="NAME",
        help="stop sending NAME, and delete its value from the keyring",
    )


@dataclass(frozen=True, slots=True)
class SecretHeaderArgs:
    """What the flags ask: values to store (read already) and names to remove."""

    values: tuple[tuple[str, str], ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        return bool(self.values or self.removed)

    def apply(self, profile: SiteProfile) -> SiteProfile:
        """``profile`` with the names added and removed (values go to the keyring later)."""
        if self.removed:
            profile = without_secret_header_names(profile, self.removed)
        return with_secret_header_names(profile, (n for n, _ in self.values))

    def store(self, store: ProfileStore, profile: SiteProfile, ctx: Context) -> int:
        """After the profile is saved: keep the values in the keyring, delete the removed."""
        try:
            for name in self.removed:
                store.secret_headers.remove(profile.name, name)
            for name, value in self.values:
                store.secret_headers.set(profile.name, name, value)
        except SecretError as exc:
            ctx.err(
                f"isr-desk: the site was saved but its secret headers were not: {exc.describe()}"
            )
            return 2
        for name in self.removed:
            ctx.out(f"Secret header {name!r} removed (its value deleted from the keyring).")
        for name, _ in self.values:
            ctx.out(f"Secret header {name!r} stored in the system keyring (sent as •••).")
        return 0


def read_secret_header_args(args: argparse.Namespace, ctx: Context, site: str) -> SecretHeaderArgs:
    """The values of ``--secret-header`` (prompted) and ``--secret-header-env`` (read now)."""
    values: dict[str, tuple[str, str]] = {}
    for item in getattr(args, "secret_header_env", []):
        name, sep, var = item.partition("=")
        if not sep or not var.strip():
            raise SecretError(
                "--secret-header-env must look like NAME=VAR",
                hint="e.g. --secret-header-env x-vercel-protection-bypass=VERCEL_BYPASS",
            )
        name = check_secret_header_name(name)
        value = os.environ.get(var.strip(), "")
        if not value.strip():
            raise SecretError(f"The environment variable {var.strip()} is not set or empty")
        values[name.lower()] = (name, _checked(name, value))
    for raw in getattr(args, "secret_header", []):
        name = check_secret_header_name(raw)
        if name.lower() not in values:
            values[name.lower()] = (name, _checked(name, _prompt(name, site, ctx)))
    removed = tuple(check_secret_header_name(n) for n in getattr(args, "remove_secret_header", []))
    return SecretHeaderArgs(tuple(values.values()), removed)


def _checked(name: str, value: str) -> str:
    value = check_secret_header_value(name, value)
    logsafe.remember(value)
    return value


def _prompt(name: str, site: str, ctx: Context) -> str:
    if not ctx.stdin.isatty():
        raise SecretError(
            f"--secret-header {name} asks its value at a terminal, and there is none",
            hint=f"Give it from the environment: --secret-header-env {name}=VAR",
        )
    value = getpass.getpass(f"Value of header {name} for {site} (not shown): ")
    logsafe.remember(value.strip())
    return value


def secret_header_states(profile: SiteProfile, store: ProfileStore) -> dict[str, str]:
    """``{name: "stored in the system keyring" | "none" | "unknown (…)"}``: never a value."""
    try:
        stored = {n.lower() for n in store.secret_headers.names(profile.name)}
    except SecretError as exc:
        return dict.fromkeys(profile.secret_headers, f"unknown ({exc.message})")
    return {
        n: "stored in the system keyring" if n.lower() in stored else "none"
        for n in profile.secret_headers
    }


def secret_headers_text(profile: SiteProfile, store: ProfileStore) -> str:
    """``site show``'s line: ``x-vercel-protection-bypass: ••• (stored in the system keyring)``."""
    states = secret_header_states(profile, store)
    return ", ".join(f"{name}: {REDACTED} ({state})" for name, state in states.items())


def manifest_network(profile: SiteProfile, source: str | None = None) -> Network:
    """The network a manifest download of ``profile`` goes through: with its secret headers'
    values (from the keyring) when the source is a URL — the network layer sends them only
    to the site's own origins, never to a manifest on another host."""
    from isr_desk.services.http import Network

    source = source if source is not None else (profile.manifest_source or "")
    if profile.secret_headers and source.lower().startswith(("http://", "https://")):
        profile = with_secret_headers(profile, ProfileStore().secret_headers)
    return Network.of(profile)


class SiteManifest:
    """A site's own manifest, loaded at most once by a command: ``revalidate --tag-match``
    selects from it and the unknown-tag check reads it again (a 100,000-route build or a
    download, not to be paid twice). A failed load is not kept: the next caller tries again."""

    def __init__(self, profile: SiteProfile) -> None:
        self.profile = profile
        self._manifest: Manifest | None = None

    def get(self) -> Manifest:
        if self._manifest is None:
            from isr_desk.services.manifest import load_manifest

            profile = self.profile
            assert profile.manifest_source is not None
            network = manifest_network(profile)
            source, base = profile.manifest_source, profile.base_url
            self._manifest = load_manifest(source, base_url=base, network=network)
        return self._manifest
