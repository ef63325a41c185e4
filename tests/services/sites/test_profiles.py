"""ProfileStore: atomic JSON file, no secrets, clear errors, secrets follow renames."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from isr_desk.domain import Endpoint, Preset, SiteProfile
from isr_desk.services.errors import (
    InvalidProfileError,
    ProfileExistsError,
    ProfileNotFoundError,
    ProfileStoreCorruptError,
)
from isr_desk.services.sites import ProfileStore, SecretStore
from tests.helpers.keyrings import MemoryKeyring


@pytest.fixture
def store(isr_home: Path, memory_keyring: MemoryKeyring) -> ProfileStore:
    return ProfileStore(secrets=SecretStore(memory_keyring))


def sample(name: str = "Blog", **kw: object) -> SiteProfile:
    return SiteProfile(name, "https://blog.example.com/", **kw)  # type: ignore[arg-type]


def test_add_list_get_round_trip_and_file_mode(store: ProfileStore) -> None:
    custom = Endpoint(
        preset=Preset.CUSTOM, method="PUT", url_template="{url}/hook?p={path}", batch_size=10
    )
    store.add(sample(headers=(("X-Env", "prod"),), instances=("http://10.0.0.1:3000",)))
    store.add(sample("Shop", endpoint=custom, manifest_source="/srv/shop/.next"))
    assert store.names() == ["Blog", "Shop"]
    blog = store.get("Blog")
    assert blog.base_url == "https://blog.example.com"  # trailing slash normalised
    assert blog.headers == (("X-Env", "prod"),)
    assert store.get("Shop").endpoint == custom
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert json.loads(store.path.read_text())["version"] == 2


def test_duplicate_names_and_missing_profiles_are_clear(store: ProfileStore) -> None:
    store.add(sample())
    with pytest.raises(ProfileExistsError):
        store.add(sample())
    with pytest.raises(ProfileNotFoundError) as info:
        store.get("Nope")
    assert "Known sites: Blog" in (info.value.hint or "")


def test_rename_moves_the_secret_and_remove_deletes_it(store: ProfileStore) -> None:
    store.add(sample())
    store.secrets.set("Blog", "tok")
    store.update("Blog", sample("Journal"))
    assert store.secrets.get("Blog") is None
    assert store.secrets.get("Journal") == "tok"
    store.remove("Journal")
    assert store.secrets.get("Journal") is None
    assert store.list() == []


def test_duplicate_copies_profile_and_secret(store: ProfileStore) -> None:
    store.add(sample())
    store.secrets.set("Blog", "tok")
    copy = store.duplicate("Blog")
    again = store.duplicate("Blog")
    assert (copy.name, again.name) == ("Blog copy", "Blog copy 2")
    assert store.secrets.get("Blog copy") == "tok"


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (SiteProfile("", "https://a.example"), "needs a name"),
        (SiteProfile("x", "ftp://a.example"), "not a web address"),
        (SiteProfile("x", "https://user:pw@a.example"), "secret field"),
        (SiteProfile("x", "https://a.example", concurrency=0), "Concurrency"),
        (SiteProfile("a\tb", "https://a.example"), "control characters"),
        (SiteProfile("x", "https://a.example", headers=(("Bad Header", "v"),)), "header"),
    ],
)
def test_invalid_profiles_are_refused(
    store: ProfileStore, profile: SiteProfile, message: str
) -> None:
    with pytest.raises(InvalidProfileError, match=message):
        store.add(profile)
    assert not store.path.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b'{"version": 1}',
        b'{"version": 9, "profiles": []}',
        b"\xff\xfe",
        b'{"version": 1, "profiles": [{"name": 3, "base_url": "x"}]}',
    ],
)
def test_a_corrupt_file_is_reported_and_never_overwritten(
    store: ProfileStore, content: bytes
) -> None:
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_bytes(content)
    with pytest.raises(
        ProfileStoreCorruptError, match=r"left untouched|invalid site|cannot be read"
    ):
        store.list()
    with pytest.raises(ProfileStoreCorruptError):
        store.add(sample())
    assert store.path.read_bytes() == content


def test_export_import_never_carries_a_secret(store: ProfileStore, tmp_path: Path) -> None:
    store.add(sample())
    store.secrets.set("Blog", "very-secret-token")
    out = tmp_path / "sites.json"
    assert store.export(out) == 1
    assert "very-secret-token" not in out.read_text()
    store.remove("Blog")
    (imported,) = store.import_(out)
    assert imported.name == "Blog"
    with pytest.raises(ProfileExistsError, match="already exist"):
        store.import_(out)
    store.import_(out, replace_existing=True)
    assert store.names() == ["Blog"]


def test_no_temp_files_are_left_behind(store: ProfileStore) -> None:
    for i in range(5):
        store.add(sample(f"s{i}"))
    # the lock file stays (an flock target must not be deleted under another process)
    assert sorted(p.name for p in store.path.parent.iterdir()) == [
        "profiles.json",
        "profiles.json.lock",
    ]
