"""Issue 15, items 4, 5 and 11: concurrent writers, hostile shared profiles, a keyring that
stores nothing.

The concurrency test runs ten real ``isr-desk site add`` processes at once against one
profiles file and the real keyring; the import tests read real files a user was sent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends import chainer, null

from isr_desk import cli
from isr_desk.commands import Context
from isr_desk.domain import SiteProfile
from isr_desk.services.errors import ManifestError, NoKeyringError
from isr_desk.services.manifest import load_manifest
from isr_desk.services.sites import SERVICE, ProfileStore, SecretStore, profile_to_dict
from tests.helpers.keyrings import MemoryKeyring


def _cli(*args: str, stdin: str = "") -> tuple[int, str, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    ctx = Context(stdout=out, stderr=err, stdin=io.StringIO(stdin))
    code = cli.main(list(args), ctx)
    return code, out.getvalue(), err.getvalue()


# --- item 4: ten `site add` at once ----------------------------------------------------------


def test_ten_concurrent_site_adds_all_survive_with_their_secrets(
    real_keyring: object, unique_name: str, isr_home: Path
) -> None:
    names = [f"{unique_name}-{i}" for i in range(10)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "isr_desk.cli",
                "site",
                "add",
                name,
                "--url",
                f"http://127.0.0.1:{9000 + i}",
                "--secret-stdin",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ.copy(),
        )
        for i, name in enumerate(names)
    ]
    results = [
        p.communicate(f"secret-of-{name}\n", timeout=120)
        for p, name in zip(procs, names, strict=True)
    ]
    assert [p.returncode for p in procs] == [0] * 10, results
    stored = ProfileStore().names()
    assert sorted(stored) == sorted(names)
    backend = keyring.get_keyring()
    try:
        assert [backend.get_password(SERVICE, n) for n in names] == [
            f"secret-of-{n}" for n in names
        ]
    finally:
        for name in names:
            backend.delete_password(SERVICE, name)


def test_the_lock_file_sits_beside_the_profiles(isr_home: Path) -> None:
    store = ProfileStore(secrets=SecretStore(MemoryKeyring()))
    store.add(SiteProfile("a", "http://127.0.0.1:1"))
    assert store.path.with_name(store.path.name + ".lock").exists()


# --- item 5: a shared profile must not send local files to its host ---------------------------


def _export(tmp_path: Path, *profiles: SiteProfile) -> Path:
    path = tmp_path / f"shared-{len(list(tmp_path.iterdir()))}.json"
    data = {"version": 1, "profiles": [profile_to_dict(p) for p in profiles]}
    path.write_text(json.dumps(data))
    return path


def test_a_key_file_is_not_a_manifest(tmp_path: Path) -> None:
    key = tmp_path / "id_ed25519"
    key.write_text(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
        "QyNTUxOQAAACBkM2ZmYzE0ZjA1ZmYxNDQxNTNjZTA3ODA0YzM0NGYwAAAAJgAAAAdzc2gt\n"
        "-----END OPENSSH PRIVATE KEY-----\n"
    )
    with pytest.raises(ManifestError, match="no line is a path"):
        load_manifest(str(key))
    ProfileStore(secrets=SecretStore(MemoryKeyring())).add(SiteProfile("x", "http://127.0.0.1:9"))
    code, _, err = _cli("manifest", "x", "--source", str(key))
    assert code == 2
    assert "no line is a path" in err


def test_importing_a_local_manifest_source_needs_yes(tmp_path: Path) -> None:
    shared = _export(
        tmp_path,
        SiteProfile("evil", "http://127.0.0.1:9", manifest_source="~/.ssh/id_ed25519"),
    )
    code, _, err = _cli("site", "import", str(shared))
    assert code == 2
    assert "local file" in err
    assert "--yes" in err
    assert ProfileStore().names() == []
    code, _, _ = _cli("site", "import", str(shared), "--yes")
    assert code == 0
    assert ProfileStore().names() == ["evil"]


def test_an_import_that_moves_a_site_needs_yes(tmp_path: Path) -> None:
    store = ProfileStore(secrets=SecretStore(MemoryKeyring()))
    store.add(SiteProfile("blog", "https://blog.example"))
    moved = _export(tmp_path, SiteProfile("blog", "http://127.0.0.1:9"))
    code, _, err = _cli("site", "import", str(moved), "--replace")
    assert code == 2
    assert "stored secret would go to the new address" in err
    assert ProfileStore().get("blog").base_url == "https://blog.example"
    fanned = _export(
        tmp_path, SiteProfile("blog", "https://blog.example", instances=("http://127.0.0.1:9",))
    )
    code, _, err = _cli("site", "import", str(fanned), "--replace")
    assert code == 2
    assert "instances" in err
    code, _, _ = _cli("site", "import", str(moved), "--replace", "--yes")
    assert code == 0
    assert ProfileStore().get("blog").base_url == "http://127.0.0.1:9"


# --- item 11: a keyring backend that stores nothing ------------------------------------------


@pytest.mark.parametrize(
    "backend", [null.Keyring(), chainer.ChainerBackend()], ids=["null", "empty-chainer"]
)
def test_a_backend_that_stores_nothing_is_no_keyring(
    backend: keyring.backend.KeyringBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    if isinstance(backend, chainer.ChainerBackend):
        monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        ProfileStore(secrets=SecretStore(MemoryKeyring())).add(
            SiteProfile("s", "http://127.0.0.1:9")
        )
        code, out, err = _cli("secret", "set", "s", "--stdin", stdin="a-long-secret\n")
        with pytest.raises(NoKeyringError):
            SecretStore().set("s", "a-long-secret")
    finally:
        keyring.set_keyring(previous)
    assert code == 2
    assert "stored in the system keyring" not in out
    assert "stores nothing" in err
