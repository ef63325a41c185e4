"""Managing sites from the sites bar, and the crash handler (a dialog, never a traceback)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pytestqt.qtbot import QtBot

from isr_desk.app import CrashReporter, SessionProfiles, SessionSecrets
from isr_desk.domain import SiteProfile
from isr_desk.services.demo import DEMO_CDN_TOKEN
from isr_desk.services.sites import ProfileStore, SecretStore
from tests.gui.conftest import WindowFactory
from tests.helpers.keyrings import MemoryKeyring


def test_duplicate_then_delete_a_site(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    make_window: WindowFactory,
    secrets: SecretStore,
    store: ProfileStore,
) -> None:
    window = make_window((SiteProfile("Blog", "https://blog.example.com"), "s3cret"))
    bar = window.sites_bar
    bar.duplicate_button.click()
    qtbot.waitUntil(lambda: bar.names() == ["Blog", "Blog copy"], timeout=3000)
    assert bar.current() is not None
    assert bar.current().name == "Blog copy"
    assert secrets.get("Blog copy") == "s3cret"
    bar.delete_button.click()
    box = bar.confirmation
    assert box is not None
    assert box.text() == "Delete the site “Blog copy”?"
    next(b for b in box.buttons() if b.text() == "Delete site").click()
    qtbot.waitUntil(lambda: bar.names() == ["Blog"], timeout=3000)
    assert secrets.get("Blog copy") is None
    assert [p.name for p in store.list()] == ["Blog"]


def test_the_demo_site_lives_in_memory_only(memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    secrets = SessionSecrets(memory_keyring)
    demo = SiteProfile("Demo", "http://127.0.0.1:1")
    secrets.keep_in_memory("Demo", "demo-secret")
    secrets.cdn_tokens().keep_in_memory("Demo", DEMO_CDN_TOKEN)  # the practice CDN's token
    profiles = SessionProfiles(ProfileStore(tmp_path / "p.json", secrets=secrets), secrets, (demo,))
    assert [p.name for p in profiles.list()] == ["Demo"]
    profiles.update("Demo", SiteProfile("Demo 2", "http://127.0.0.1:1"))
    assert secrets.require("Demo 2") == "demo-secret"
    assert secrets.cdn_tokens() is secrets.cdn_tokens()  # the run reads the same overlay
    assert secrets.cdn_tokens().require("Demo 2") == DEMO_CDN_TOKEN
    assert memory_keyring.passwords == {}
    assert not (tmp_path / "p.json").exists()
    copy = profiles.duplicate("Demo 2")
    assert copy.name == "Demo 2 copy"
    assert memory_keyring.passwords == {}


def test_an_unexpected_error_is_logged_and_shown_as_a_dialog(qtbot: QtBot, isr_home: Path) -> None:
    reporter = CrashReporter()
    try:
        raise ValueError("boom")
    except ValueError as exc:
        reporter(type(exc), exc, exc.__traceback__)
    log = (isr_home / "logs" / "crash.log").read_text(encoding="utf-8")
    assert "ValueError: boom" in log
    box = reporter.dialog
    assert box is not None
    qtbot.addWidget(box)
    assert box.isVisible()
    assert box.text() == "Something went wrong inside ISR Desk."
    assert "Traceback" not in box.informativeText()
    assert "crash.log" in box.informativeText()
