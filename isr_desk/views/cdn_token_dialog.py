"""The CDN API token dialog ("Set token…" / "Replace…" in the site dialog's CDN group).

A password field, what the token is for and where to create it with which permission
(docs/cdn.md), and OK: the token goes to the system keyring right then, in a worker thread,
and the dialog closes only once it is stored (views/secret_dialog.py's KeyringDialog). A
keyring that is missing or locked is said in the dialog, which stays open; the token is
never shown, logged or put in an error text.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from isr_desk.domain import CdnProvider, CdnSettings
from isr_desk.services.sites import SecretStore, check_token
from isr_desk.views.secret_dialog import Button, KeyringDialog, plain_label


def token_help(cdn: CdnSettings) -> str:
    """Where to create the provider's token and which permission it needs (docs/cdn.md)."""
    if cdn.provider is CdnProvider.CLOUDFLARE:
        zone = f" ({cdn.zone})" if cdn.zone else ""
        return (
            "Create it in the Cloudflare dashboard: My Profile → API Tokens → Create Token → "
            "Create Custom Token. Give it one permission, Zone → Cache Purge → Purge, and "
            f"under Zone Resources include this site's zone{zone}. Cloudflare shows the token "
            "once: paste it here."
        )
    project = f" “{cdn.project}”" if cdn.project else ""
    return (
        "Create it on Vercel's Account Tokens page (your account's Settings → Tokens → "
        f"Create). As its scope choose the team that owns the project{project}, or that "
        "project alone, and an expiry you are happy with. Vercel shows the token once: "
        "paste it here."
    )


class CdnTokenDialog(KeyringDialog):
    """Ask for ``site``'s CDN API token and store it in the keyring on OK;
    ``token_stored(site)`` when it is there."""

    token_stored = Signal(str)

    def __init__(
        self,
        *,
        site: str,
        cdn: CdnSettings,
        tokens: SecretStore,
        replacing: bool,
        parent: QWidget | None = None,
    ) -> None:
        name = cdn.provider.label
        intro = plain_label(
            f"ISR Desk purges {name} for “{site}” with an API token of yours. "
            + ("The new one replaces the token stored now." if replacing else "")
        )
        help_text = plain_label(token_help(cdn), name="manifestInfo")
        super().__init__(
            site=site, store=tokens, what=f"{name} API token", texts=(intro, help_text),
            check=check_token, button=Button.Ok, parent=parent,
        )  # fmt: skip
        self.help, self.token_edit = help_text, self.field
        self._failed = "The token was not stored. "
        self.stored.connect(self.token_stored)
        self.setWindowTitle(f"Replace the {name} token" if replacing else f"{name} API token")
        self.setMinimumWidth(460)
