"""SecretStore against the real Secret Service (gnome-keyring) and its failure modes."""

from __future__ import annotations

import os
import subprocess
import sys

import keyring.errors
import pytest

from isr_desk.services.errors import (
    KeyringLockedError,
    KeyringPromptDismissedError,
    NoKeyringError,
    SecretError,
    SecretMissingError,
)
from isr_desk.services.sites import SERVICE, SecretStore
from tests.helpers.keyrings import MemoryKeyring


@pytest.mark.keyring
def test_real_secret_service_round_trip(real_keyring: object, unique_name: str) -> None:
    store = SecretStore()
    assert store.get(unique_name) is None
    store.set(unique_name, "tok-1\n")
    assert store.get(unique_name) == "tok-1"  # a pasted newline is dropped
    assert keyring.get_password(SERVICE, unique_name) == "tok-1"
    store.move(unique_name, unique_name + "-b")
    assert store.get(unique_name) is None
    assert store.require(unique_name + "-b") == "tok-1"
    assert store.delete(unique_name + "-b") is True
    assert store.delete(unique_name + "-b") is False
    with pytest.raises(SecretMissingError, match="No secret is stored"):
        store.require(unique_name + "-b")


@pytest.mark.parametrize(
    ("raised", "expected", "words"),
    [
        (keyring.errors.NoKeyringError("none"), NoKeyringError, "No system keyring"),
        (keyring.errors.KeyringLocked("locked"), KeyringLockedError, "locked"),
        (keyring.errors.KeyringError("Prompt dismissed"), KeyringPromptDismissedError, "dismissed"),
        (
            RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown"),
            NoKeyringError,
            "cannot be reached",
        ),
        (keyring.errors.KeyringError("boom"), SecretError, "Could not"),
    ],
)
def test_each_keyring_failure_has_its_own_plain_error(
    memory_keyring: MemoryKeyring, raised: Exception, expected: type[SecretError], words: str
) -> None:
    memory_keyring.fail_with = raised
    with pytest.raises(expected, match=words) as info:
        SecretStore(memory_keyring).get("site")
    assert type(info.value) is expected


def test_empty_secret_is_refused(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(SecretError, match="empty"):
        SecretStore(memory_keyring).set("site", "  ")


def test_no_dbus_session_means_no_keyring_never_plaintext(tmp_path: object) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS", "XDG_RUNTIME"))}
    code = (
        "from isr_desk.services.sites._secrets import SecretStore\n"
        "from isr_desk.services.errors import NoKeyringError\n"
        "try:\n    SecretStore().set('x', 'y')\n"
        "except NoKeyringError as e:\n    print('NoKeyringError', e.hint)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.startswith("NoKeyringError"), out.stdout + out.stderr
    assert "Traceback" not in out.stderr
