"""Site secrets, kept only in the OS keyring (service ``isr-desk``, username = profile name).

There is no fallback: with no usable keyring every call raises a :class:`SecretError`
subclass that says which problem it is (no backend, locked, prompt dismissed) and what to
do. A secret never goes to a file, a setting or a log.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from isr_desk.domain import SiteProfile
from isr_desk.services import logsafe
from isr_desk.services.errors import (
    KeyringLockedError,
    KeyringPromptDismissedError,
    NoKeyringError,
    SecretError,
    SecretMissingError,
)
from isr_desk.services.sites._endpoints import secret_in_query

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

# keyring (and its backends, ~45 ms) is imported where a secret is touched, not by every
# command that only imports the sites package (`isr-desk --help`, `site list`).

SERVICE = "isr-desk"
CDN_SERVICE = "isr-desk-cdn"  # a site's CDN API token: username = profile name (docs/cdn.md)
# A site's secret headers: one JSON object {name: value} per site, username = profile name
# (docs/reliability.md, "Credential headers").
HEADERS_SERVICE = "isr-desk-headers"
_NOUNS = {SERVICE: "secret", CDN_SERVICE: "CDN API token", HEADERS_SERVICE: "secret headers"}
log = logging.getLogger(__name__)

_NO_BACKEND_HINT = (
    "Install and start a Secret Service (GNOME Keyring or KWallet) in your desktop session, "
    "or run ISR Desk inside a session that has one"
)


class SecretStore:
    """Get, set, move and delete site secrets. ``backend`` is injected in tests.

    ``service`` names the keyring entry: the sites' secrets, or (:meth:`cdn_tokens`) their
    CDN API tokens, which the messages then call by that name.
    """

    def __init__(self, backend: KeyringBackend | None = None, *, service: str = SERVICE) -> None:
        self._backend = backend
        self.service = service
        self._noun = _NOUNS.get(service, "secret")

    def cdn_tokens(self) -> SecretStore:
        """The same keyring's entries for the sites' CDN API tokens."""
        return SecretStore(self._backend, service=CDN_SERVICE)

    def header_entries(self) -> SecretStore:
        """The same keyring's entries for the sites' secret headers (one JSON object each)."""
        return SecretStore(self._backend, service=HEADERS_SERVICE)

    @property
    def backend(self) -> KeyringBackend:
        if self._backend is None:
            import keyring

            backend = keyring.get_keyring()
            if type(backend).__module__.startswith("keyrings.alt"):
                # Never a silent plaintext fallback (docs/architecture.md).
                raise NoKeyringError(
                    "Only a plaintext file keyring (keyrings.alt) is available",
                    hint=_NO_BACKEND_HINT,
                )
            check_backend(backend)
            self._backend = backend
        return self._backend

    def get(self, name: str) -> str | None:
        """The secret stored for profile ``name``, or None when there is none."""
        secret = self._call(
            f"read the {self._noun} of", name, lambda b: b.get_password(self.service, name)
        )
        if secret is None:
            return None
        logsafe.remember(str(secret))  # from now on no log line can show it
        return str(secret)

    def require(self, name: str) -> str:
        secret = self.get(name)
        if not secret and self.service == CDN_SERVICE:
            raise SecretMissingError(
                f"No CDN API token is stored for site {name!r}",
                hint=f"Set it with `isr-desk site edit {name} --cdn-token-env VAR` or Set "
                "token… in the site's settings",
            )
        if not secret:
            raise SecretMissingError(
                f"No secret is stored for site {name!r}",
                hint=f"Set it with `isr-desk secret set {name}` or in the site's settings",
            )
        return secret

    def has(self, name: str) -> bool:
        return bool(self.get(name))

    def set(self, name: str, secret: str) -> None:
        noun, service = self._noun, self.service
        if not secret or not secret.strip():
            raise SecretError(f"The {noun} is empty", hint=f"Paste the site's {noun}")
        if secret != secret.strip():
            secret = secret.strip()  # a pasted newline is never part of a secret
        self._call(f"store the {noun} of", name, lambda b: b.set_password(service, name, secret))
        kept = self._call(f"read the {noun} of", name, lambda b: b.get_password(service, name))
        if kept != secret:  # a backend that accepts and forgets: never say "stored"
            raise NoKeyringError(
                f"The system keyring did not keep the {noun} of {name!r}", hint=_NO_BACKEND_HINT
            )

    def delete(self, name: str) -> bool:
        """Delete the secret; False when there was none."""
        if self.get(name) is None:
            return False

        import keyring.errors

        def delete(backend: KeyringBackend) -> None:
            # Gone in between: the goal is reached.
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                backend.delete_password(self.service, name)

        self._call(f"delete the {self._noun} of", name, delete)
        return True

    def move(self, old: str, new: str) -> None:
        """Move a secret to a renamed profile (no-op when there is none)."""
        secret = self.get(old)
        if secret is None or old == new:
            return
        self.set(new, secret)
        self.delete(old)

    def copy(self, source: str, target: str) -> bool:
        secret = self.get(source)
        if secret is None:
            return False
        self.set(target, secret)
        return True

    def _call(self, action: str, name: str, fn: Any) -> Any:
        import keyring.errors

        try:
            return fn(self.backend)
        except SecretError:
            raise
        except keyring.errors.NoKeyringError as exc:
            raise NoKeyringError(
                "No system keyring is available, so secrets cannot be stored", hint=_NO_BACKEND_HINT
            ) from exc
        except keyring.errors.KeyringLocked as exc:
            raise KeyringLockedError(
                "The system keyring is locked",
                hint="Unlock it (log in to your desktop keyring) and try again",
            ) from exc
        except keyring.errors.KeyringError as exc:
            raise _classify(exc, action, name) from exc
        except Exception as exc:  # D-Bus and backend errors are not uniform
            raise _classify(exc, action, name) from exc


MAX_SECRET_IN_URL = 4096  # characters; servers refuse longer request lines (Node: 16 KB head)
MAX_SECRET = 16 * 1024


def check_secret(profile: SiteProfile, secret: str) -> None:
    """Refuse a secret the profile's request cannot carry, before it is stored.

    A header holds ASCII only (httpx refuses anything else when sending); a URL has a
    length limit (httpx refuses 64 KB, most servers 8-16 KB).
    """
    secret = secret.strip()
    if len(secret) > MAX_SECRET:
        raise SecretError(
            f"The secret is {len(secret)} characters long (at most {MAX_SECRET})",
            hint="Check what was pasted: a revalidation secret is a short random string",
        )
    if secret_in_query(profile):
        if len(secret) > MAX_SECRET_IN_URL:
            raise SecretError(
                f"The secret is {len(secret)} characters long, too long for a URL "
                f"(at most {MAX_SECRET_IN_URL} with this site's preset)",
                hint="Use a shorter secret, or the bearer preset (the secret in a header)",
            )
        return
    if not secret.isascii() or any(not ch.isprintable() for ch in secret):
        raise SecretError(
            "The secret has characters an HTTP header cannot carry (only printable ASCII)",
            hint="Use an ASCII secret, or a preset that sends it in the query string",
        )


def check_token(token: str) -> str:
    """A CDN API token, trimmed; it travels in an ``Authorization`` header, so printable
    ASCII only."""
    token = token.strip()
    if not token or len(token) > MAX_SECRET:
        raise SecretError("The CDN API token is empty or too long", hint="Paste the token")
    if not token.isascii() or any(not ch.isprintable() or ch == " " for ch in token):
        raise SecretError(
            "The CDN API token has characters a header cannot carry",
            hint="Copy the token again from the CDN's dashboard",
        )
    return token


def check_backend(backend: KeyringBackend) -> None:
    """Refuse a backend that stores nothing: ``keyring.backends.null`` (often set on CI with
    ``PYTHON_KEYRING_BACKEND``), keyring's ``fail`` backend, or a chainer with no backends."""
    kind = f"{type(backend).__module__}.{type(backend).__name__}"
    chained = getattr(backend, "backends", None)
    empty_chain = kind.endswith("chainer.ChainerBackend") and not chained
    if kind in ("keyring.backends.null.Keyring", "keyring.backends.fail.Keyring") or empty_chain:
        raise NoKeyringError(
            f"The keyring backend {kind} stores nothing, so secrets cannot be stored",
            hint=_NO_BACKEND_HINT + " (unset PYTHON_KEYRING_BACKEND if it names the null backend)",
        )


_UNREACHABLE_WORDS = (
    "no recommended backend",
    "dbus",
    "secret service",
    "not available",
    "notavailable",  # secretstorage's SecretServiceNotAvailableException
    "org.freedesktop.secrets",
)


def _classify(exc: BaseException, action: str, name: str) -> SecretError:
    import keyring.errors

    text = f"{type(exc).__name__}: {exc}".lower()
    log.debug("keyring failed to %s %r: %s", action, name, type(exc).__name__)
    if "dismiss" in text or "prompt" in text or "cancel" in text:
        return KeyringPromptDismissedError(
            "The keyring unlock prompt was dismissed",
            hint="Try again and unlock the keyring when it asks",
        )
    if "locked" in text:
        return KeyringLockedError("The system keyring is locked", hint="Unlock it and try again")
    # The D-Bus socket gone (OSError/EOFError from jeepney), or the Secret Service not on
    # the bus (keyring's InitError, secretstorage's "not available").
    gone = isinstance(exc, OSError | EOFError | keyring.errors.InitError)
    if gone or any(word in text for word in _UNREACHABLE_WORDS):
        return NoKeyringError(
            "The system keyring (Secret Service) cannot be reached", hint=_NO_BACKEND_HINT
        )
    return SecretError(f"Could not {action} {name!r} in the system keyring ({type(exc).__name__})")
