"""The one exception tree of ISR Desk.

Every service maps the exceptions of the libraries it uses (httpx, keyring, json, sqlite3,
OSError ...) to one of these at its boundary. Each carries a plain-language ``message`` and,
where there is one, a ``hint`` saying what to do. The GUI and the CLI show both; neither
ever shows a traceback for an :class:`IsrError`.
"""

from __future__ import annotations


class IsrError(Exception):
    """Base of every expected failure. ``str(err)`` is the message a user reads."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message

    def describe(self) -> str:
        """Message and hint on one line, for a status bar or stderr."""
        return f"{self.message} — {self.hint}" if self.hint else self.message


# --- profiles -------------------------------------------------------------------------------


class ProfileError(IsrError):
    """A profile could not be read, written or validated."""


class ProfileNotFoundError(ProfileError):
    pass


class ProfileExistsError(ProfileError):
    pass


class InvalidProfileError(ProfileError):
    """A field of a profile is not valid (bad URL, empty name, ...)."""


class ProfileStoreCorruptError(ProfileError):
    """The profiles file exists but cannot be read; it is left untouched."""


# --- secrets --------------------------------------------------------------------------------


class SecretError(IsrError):
    """The OS keyring could not be used."""


class NoKeyringError(SecretError):
    """No keyring backend (no Secret Service / D-Bus session)."""


class KeyringLockedError(SecretError):
    """The keyring exists but is locked and could not be unlocked."""


class KeyringPromptDismissedError(SecretError):
    """The user dismissed the keyring's unlock prompt."""


class SecretMissingError(SecretError):
    """No secret is stored for the profile."""


# --- endpoints and revalidation -------------------------------------------------------------


class NetworkError(IsrError):
    """A proxy or CA bundle setting that cannot be used (docs/networks.md)."""


class EndpointError(IsrError):
    """A request cannot be built for this endpoint (e.g. a tag on ``pages-router``)."""


class RevalidationError(IsrError):
    """A run could not start (not a per-target failure: those are Results)."""


# --- manifests ------------------------------------------------------------------------------


class ManifestError(IsrError):
    """A manifest source could not be read or understood. The message names the source."""


# --- history --------------------------------------------------------------------------------


class HistoryError(IsrError):
    """The history database could not be read or written."""
