"""Keyring backends for tests: an in-memory one, and ones that fail as real ones do.

The failing ones are loaded in CLI subprocesses with
``PYTHON_KEYRING_BACKEND=tests.helpers.keyrings.<Name>``.
"""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, NoKeyringError, PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """Stores passwords in a dict. ``fail_with`` makes every call raise that exception."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}
        self.fail_with: BaseException | None = None

    def _check(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with

    def get_password(self, service: str, username: str) -> str | None:
        self._check()
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._check()
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._check()
        if self.passwords.pop((service, username), None) is None:
            raise PasswordDeleteError("no such password")


class _FailingKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]
    error: BaseException = RuntimeError("keyring failed")

    def get_password(self, service: str, username: str) -> str | None:
        raise self.error

    def set_password(self, service: str, username: str, password: str) -> None:
        raise self.error

    def delete_password(self, service: str, username: str) -> None:
        raise self.error


class LockedKeyring(_FailingKeyring):
    """What keyring's SecretService backend raises when the collection stays locked."""

    error = KeyringLocked("Failed to unlock the collection!")


class DismissedKeyring(_FailingKeyring):
    """secretstorage's error when the user dismisses the unlock prompt."""

    error = RuntimeError("Prompt dismissed.")

    def __init__(self) -> None:
        super().__init__()
        from secretstorage.exceptions import PromptDismissedException

        self.error = PromptDismissedException("Prompt dismissed.")


class NoBackendKeyring(_FailingKeyring):
    """keyring's fail backend: no backend at all."""

    error = NoKeyringError("No recommended backend was available.")


class DbusGoneKeyring(_FailingKeyring):
    """The session bus socket is gone (jeepney raises the OSError)."""

    error = FileNotFoundError(2, "No such file or directory")
