"""Site profiles: a JSON file under the app's data dir, never holding a secret.

The file is ``{"version": 2, "profiles": [...]}``, written atomically (temp file in the same
directory, fsync, rename) with mode 0600. A file that cannot be read raises
:class:`ProfileStoreCorruptError` and is never overwritten: the user's data stays for them
to fix or restore. Exports use the same shape and never carry a secret.

The shape of one profile in the file, and the migration of version 1 files, are in
:mod:`isr_desk.services.sites._format`.
"""

from __future__ import annotations

import builtins
import json
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from isr_desk.domain import SiteProfile
from isr_desk.services.errors import (
    EndpointError,
    InvalidProfileError,
    ProfileError,
    ProfileExistsError,
    ProfileNotFoundError,
    ProfileStoreCorruptError,
)
from isr_desk.services.paths import profiles_file
from isr_desk.services.sites._endpoints import validate_endpoint
from isr_desk.services.sites._format import (
    FORMAT_VERSION,
    READABLE_VERSIONS,
    profile_from_dict,
    profile_to_dict,
)

if TYPE_CHECKING:
    from isr_desk.services.sites._secrets import SecretStore

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NAME_LENGTH = 80


class ProfileStore:
    """Add, edit, rename, remove and list profiles; secrets follow renames and removals."""

    def __init__(self, path: Path | None = None, *, secrets: SecretStore | None = None) -> None:
        self.path = path or profiles_file()
        self._secrets = secrets
        self._lock = threading.Lock()

    @property
    def secrets(self) -> SecretStore:
        if self._secrets is None:
            # Imported here: keyring is slow to import and most commands never need it.
            from isr_desk.services.sites._secrets import SecretStore

            self._secrets = SecretStore()
        return self._secrets

    # --- reading ------------------------------------------------------------------------
    def list(self) -> list[SiteProfile]:
        return _read(self.path)

    def names(self) -> builtins.list[str]:
        return [p.name for p in self.list()]

    def get(self, name: str) -> SiteProfile:
        for profile in self.list():
            if profile.name == name:
                return profile
        known = ", ".join(self.names()) or "none yet"
        raise ProfileNotFoundError(
            f"No site named {name!r}", hint=f"Known sites: {known} (add one with `site add`)"
        )

    # --- writing ------------------------------------------------------------------------
    def add(self, profile: SiteProfile) -> SiteProfile:
        profile = validate_profile(profile)
        with self._lock:
            profiles = self.list()
            if any(p.name == profile.name for p in profiles):
                raise ProfileExistsError(f"A site named {profile.name!r} already exists")
            _write(self.path, [*profiles, profile])
        return profile

    def update(self, old_name: str, profile: SiteProfile) -> SiteProfile:
        """Replace ``old_name`` by ``profile``; a rename moves the secret in the keyring."""
        profile = validate_profile(profile)
        with self._lock:
            profiles = self.list()
            index = next((i for i, p in enumerate(profiles) if p.name == old_name), None)
            if index is None:
                raise ProfileNotFoundError(f"No site named {old_name!r}")
            if profile.name != old_name and any(p.name == profile.name for p in profiles):
                raise ProfileExistsError(f"A site named {profile.name!r} already exists")
            if profile.name != old_name:
                self.secrets.move(old_name, profile.name)
            profiles[index] = profile
            _write(self.path, profiles)
        return profile

    def remove(self, name: str, *, keep_secret: bool = False) -> None:
        with self._lock:
            profiles = self.list()
            remaining = [p for p in profiles if p.name != name]
            if len(remaining) == len(profiles):
                raise ProfileNotFoundError(f"No site named {name!r}")
            if not keep_secret:
                self.secrets.delete(name)
            _write(self.path, remaining)

    def duplicate(self, name: str, new_name: str | None = None) -> SiteProfile:
        source = self.get(name)
        taken: set[str] = set(self.names())
        candidate = new_name or f"{name} copy"
        number = 2
        while new_name is None and candidate in taken:
            candidate, number = f"{name} copy {number}", number + 1
        copy = self.add(replace(source, name=candidate))
        self.secrets.copy(name, copy.name)
        return copy

    # --- export / import ----------------------------------------------------------------
    def export(self, target: Path, names: Iterable[str] | None = None) -> int:
        """Write the profiles (all, or ``names``) to ``target``; never a secret."""
        profiles = self.list()
        if names is not None:
            wanted = set(names)
            profiles = [p for p in profiles if p.name in wanted]
        _write(target, profiles, mode=0o644)
        return len(profiles)

    def import_(
        self, source: Path, *, replace_existing: bool = False
    ) -> builtins.list[SiteProfile]:
        """Add the profiles of an export file; existing names are refused unless replaced."""
        incoming = _read(source, missing_ok=False, what="import file")
        with self._lock:
            profiles = {p.name: p for p in self.list()}
            clashes = [p.name for p in incoming if p.name in profiles]
            if clashes and not replace_existing:
                raise ProfileExistsError(
                    f"{source} has sites that already exist: {', '.join(clashes)}",
                    hint="Remove or rename them first, or import with --replace",
                )
            for profile in incoming:
                profiles[profile.name] = profile
            _write(self.path, list(profiles.values()))
        return incoming


# --- validation ------------------------------------------------------------------------------


def validate_profile(profile: SiteProfile) -> SiteProfile:
    """The profile with its URL normalised; raises InvalidProfileError with what to fix."""
    name = profile.name.strip()
    if not name:
        raise InvalidProfileError("A site needs a name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidProfileError(f"A site name can have at most {MAX_NAME_LENGTH} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise InvalidProfileError("A site name cannot contain control characters")
    base_url = normalise_url(profile.base_url)
    instances = tuple(normalise_url(u) for u in profile.instances)
    try:
        validate_endpoint(profile.endpoint)
    except EndpointError as exc:
        raise InvalidProfileError(exc.message, hint=exc.hint) from exc
    if not 1 <= profile.concurrency <= 1024:
        raise InvalidProfileError("Concurrency must be between 1 and 1024")
    if not 0 < profile.timeout <= 600:
        raise InvalidProfileError("The timeout must be between 0 and 600 seconds")
    if not 0 <= profile.retries <= 20:
        raise InvalidProfileError("Retries must be between 0 and 20")
    for key, value in profile.headers:
        if not key.strip() or any(c in key for c in ":\r\n ") or _has_control(key + value):
            raise InvalidProfileError(f"Header {key!r} is not a valid HTTP header")
    _check_text(profile)
    base_path = normalise_base_path(profile.base_path)
    return replace(profile, name=name, base_url=base_url, instances=instances, base_path=base_path)


def normalise_base_path(value: str) -> str:
    """``/shop`` from ``shop``, ``/shop/`` or ``/shop``; ``""`` for none."""
    text = value.strip().strip("/")
    if not text:
        return ""
    if _has_control(text) or any(c in text for c in "?#% ") or "//" in text:
        raise InvalidProfileError(
            f"Base path {value!r} is not a path", hint="For example /shop (as in next.config)"
        )
    return "/" + text


def _has_control(text: str) -> bool:
    return any((ord(ch) < 32 and ch != "\t") or ord(ch) == 127 for ch in text)


def _check_text(profile: SiteProfile) -> None:
    """Every text field must be storable as UTF-8: a name from a non-UTF-8 terminal arrives
    with lone surrogates, which would fail only when the file is written."""
    endpoint = profile.endpoint
    texts = [
        profile.name,
        profile.base_url,
        profile.manifest_source or "",
        *profile.instances,
        *(part for header in profile.headers for part in header),
        endpoint.path,
        endpoint.method,
        endpoint.url_template,
        endpoint.tag_url_template,
        endpoint.path_body_template,
        endpoint.tag_body_template,
        endpoint.secret_name,
    ]
    for text in texts:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidProfileError(
                f"{text.encode('utf-8', 'replace').decode()!r} has bytes that are not UTF-8 text",
                hint="Retype it in a UTF-8 terminal or editor",
            ) from None


def normalise_url(url: str) -> str:
    text = url.strip()
    if text and "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise InvalidProfileError(
            f"{url!r} is not a valid web address", hint="For example https://www.example.com"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidProfileError(
            f"{url!r} is not a web address", hint="For example https://www.example.com"
        )
    if parts.query or parts.fragment:
        raise InvalidProfileError(
            f"{url!r} has a query or fragment", hint="Give only the site's address"
        )
    if parts.username or parts.password:
        raise InvalidProfileError(
            "Put the secret in the secret field, not in the address",
            hint="Remove the user:password@ part",
        )
    return text.rstrip("/")


# --- file format -----------------------------------------------------------------------------


def _read(path: Path, *, missing_ok: bool = True, what: str = "profiles file") -> list[SiteProfile]:
    try:
        size = path.stat().st_size
    except ValueError as exc:  # an embedded NUL byte: not a path at all
        raise ProfileError(f"{path!r} is not a usable file name") from exc
    except FileNotFoundError:
        if missing_ok:
            return []
        raise ProfileError(f"{path} does not exist") from None
    except OSError as exc:
        raise ProfileError(f"Cannot read the {what} {path}: {exc.strerror}") from exc
    corrupt = ProfileStoreCorruptError if what == "profiles file" else InvalidProfileError
    if size > MAX_FILE_BYTES:
        raise corrupt(f"The {what} {path} is larger than {MAX_FILE_BYTES // 2**20} MB")
    try:
        # Read with a cap: st_size is 0 for /dev/zero, a FIFO or a /proc file.
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise ValueError(f"larger than {MAX_FILE_BYTES // 2**20} MB")
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("profiles"), list):
            raise TypeError('expected {"version": 2, "profiles": [...]}')
        version = data.get("version")
        if version not in READABLE_VERSIONS or isinstance(version, bool):
            raise ValueError(f"unknown version {version!r}")
        profiles = [
            validate_profile(profile_from_dict(item, version=version)) for item in data["profiles"]
        ]
    except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError, RecursionError) as exc:
        raise corrupt(
            f"The {what} {path} cannot be read ({_why(exc)})",
            hint="It was left untouched: fix or remove it, or restore a backup",
        ) from exc
    except InvalidProfileError as exc:
        raise corrupt(f"The {what} {path} has an invalid site: {exc.message}") from exc
    if len({p.name for p in profiles}) != len(profiles):
        raise corrupt(f"The {what} {path} lists the same site name twice")
    return profiles


def _why(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc}"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON at line {exc.lineno}"
    return str(exc) or type(exc).__name__


def _write(path: Path, profiles: list[SiteProfile], *, mode: int = 0o600) -> None:
    data = {"version": FORMAT_VERSION, "profiles": [profile_to_dict(p) for p in profiles]}
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ProfileError(f"Cannot write {path}: {exc.strerror or exc}") from exc
