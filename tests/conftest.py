"""Fixtures every test gets: a private ISR Desk home, offscreen Qt, isolated QSettings.

The whole suite runs under ``scripts/with-keyring.sh`` (a real, unlocked gnome-keyring in a
private D-Bus session). Tests that use the real keyring take the ``real_keyring`` fixture,
which skips with a clear reason when no Secret Service is there; others get an in-memory
backend through ``memory_keyring``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# pytest-qt does not pick a platform: without this the suite needs a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("NEXT_TELEMETRY_DISABLED", "1")

from tests.helpers.keyrings import MemoryKeyring
from tests.helpers.sites import LoopbackSite


@pytest.fixture(autouse=True)
def isr_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ISR_DESK_HOME at a fresh temp dir so no test touches a real profile."""
    home = tmp_path / "isr-home"
    home.mkdir()
    monkeypatch.setenv("ISR_DESK_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def _isolated_qsettings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """QSettings write under the temp dir (XDG_CONFIG_HOME), never the user's config."""
    config = tmp_path / "xdg-config"
    config.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def real_keyring() -> Iterator[object]:
    """The real Secret Service backend; skips with the reason when there is none."""
    import keyring
    from keyring.backends import SecretService

    backend = SecretService.Keyring()
    try:
        backend.get_password("isr-desk-probe", "probe")
    except Exception as exc:  # noqa: BLE001 - any failure means: no usable Secret Service
        pytest.skip(f"no Secret Service (run the suite via scripts/test.sh): {exc}")
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def unique_name() -> str:
    """A profile name no other test uses (the real keyring is shared by the session)."""
    return f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def site() -> Iterator[LoopbackSite]:
    with LoopbackSite() as server:
        yield server
