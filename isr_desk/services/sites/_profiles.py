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
import contextlib
import json
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from isr_desk.domain import VERCEL_TARGETS, CdnProvider, CdnSettings, SiteProfile
from isr_desk.services.errors import (
    EndpointError,
    InvalidProfileError,
    ProfileError,
    ProfileExistsError,
    ProfileNotFoundError,
    ProfileStoreCorruptError,
)
from isr_desk.services.paths import atomic_write, profiles_file
from isr_desk.services.sites._endpoints import validate_endpoint
from isr_desk.services.sites._format import (
    FORMAT_VERSION,
    READABLE_VERSIONS,
    profile_from_dict,
    profile_to_dict,
)
from isr_desk.services.sites._headers import check_headers, without_credentials
from isr_desk.services.sites._secret_headers import SecretHeaders, check_names

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

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

    @property
    def cdn_tokens(self) -> SecretStore:
        """The sites' CDN API tokens: the same keyring, a second entry name (docs/cdn.md)."""
        return self.secrets.cdn_tokens()

    @property
    def secret_headers(self) -> SecretHeaders:
        """The values of the sites' secret headers: the same keyring, a third entry name."""
        return SecretHeaders(self.secrets.header_entries())

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
        check_headers(profile.headers)  # a credential goes to the keyring, never this file
        with self._locked():
            profiles = self.list()
            if any(p.name == profile.name for p in profiles):
                raise ProfileExistsError(f"A site named {profile.name!r} already exists")
            _write(self.path, [*profiles, profile])
        return profile

    def update(self, old_name: str, profile: SiteProfile) -> SiteProfile:
        """Replace ``old_name`` by ``profile``; a rename moves the secret in the keyring."""
        profile = validate_profile(profile)
        check_headers(profile.headers)
        with self._locked():
            profiles = self.list()
            index = next((i for i, p in enumerate(profiles) if p.name == old_name), None)
            if index is None:
                raise ProfileNotFoundError(f"No site named {old_name!r}")
            if profile.name != old_name and any(p.name == profile.name for p in profiles):
                raise ProfileExistsError(f"A site named {profile.name!r} already exists")
            if profile.name != old_name:
                self.secrets.move(old_name, profile.name)
                self.cdn_tokens.move(old_name, profile.name)
                self.secret_headers.entries.move(old_name, profile.name)
            profiles[index] = profile
            _write(self.path, profiles)
        return profile

    def remove(self, name: str, *, keep_secret: bool = False) -> None:
        with self._locked():
            profiles = self.list()
            remaining = [p for p in profiles if p.name != name]
            if len(remaining) == len(profiles):
                raise ProfileNotFoundError(f"No site named {name!r}")
            if not keep_secret:
                self.secrets.delete(name)
                self.cdn_tokens.delete(name)
                self.secret_headers.entries.delete(name)
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
        self.cdn_tokens.copy(name, copy.name)
        self.secret_headers.entries.copy(name, copy.name)
        return copy

    # --- export / import ----------------------------------------------------------------
    def export(
        self, target: Path, names: Iterable[str] | None = None, *, overwrite: bool = True
    ) -> int:
        """Write the profiles (all, or ``names``) to ``target``; never a secret.

        With ``overwrite=False`` an existing ``target`` is refused (``site export -o``
        without ``--force``)."""
        profiles = self._exported(names)
        if not overwrite and (target.exists() or target.is_symlink()):
            raise ProfileExistsError(
                f"{target} exists already", hint="Give another file, or --force to replace it"
            )
        _write(target, profiles, mode=0o644)
        return len(profiles)

    def export_text(self, names: Iterable[str] | None = None) -> str:
        """The export of the profiles (all, or ``names``) as text (``site export`` to stdout)."""
        return _dumps(self._exported(names))

    def _exported(self, names: Iterable[str] | None) -> builtins.list[SiteProfile]:
        # A credential-looking header of a profile stored before they were refused stays
        # home: an export is shared (docs/reliability.md, "Credential headers").
        profiles = [without_credentials(p) for p in self.list()]
        if names is None:
            return profiles
        wanted = list(dict.fromkeys(names))
        known = {p.name for p in profiles}
        unknown = [n for n in wanted if n not in known]
        if unknown:
            listed = ", ".join(sorted(known)) or "none yet"
            raise ProfileNotFoundError(
                f"No site named {unknown[0]!r}",
                hint=f"Known sites: {listed}; to write a file give -o FILE",
            )
        return [p for p in profiles if p.name in set(wanted)]

    def import_(
        self, source: Path, *, replace_existing: bool = False, confirmed: bool = False
    ) -> builtins.list[SiteProfile]:
        """Add the profiles of an export file; existing names are refused unless replaced.

        A file that names a local manifest source, or replaces a site's address or
        instances, is refused unless ``confirmed`` (:func:`import_risks` says why); a
        confirmed address change keeps the site's secret, which then goes to the new host.
        """
        incoming = _read(source, missing_ok=False, what="import file")
        for profile in incoming:
            try:
                check_headers(profile.headers, site=profile.name)
            except InvalidProfileError as exc:
                raise InvalidProfileError(f"{source}: {exc.message}", hint=exc.hint) from None
        with self._locked():
            profiles = {p.name: p for p in self.list()}
            clashes = [p.name for p in incoming if p.name in profiles]
            if clashes and not replace_existing:
                raise ProfileExistsError(
                    f"{source} has sites that already exist: {', '.join(clashes)}",
                    hint="Remove or rename them first, or import with --replace",
                )
            risks = import_risks(incoming, profiles)
            if risks and not confirmed:
                raise ImportNotConfirmedError(
                    f"{source} needs a confirmation: " + "; ".join(risks),
                    hint="Check the file; import it with --yes if you trust it",
                )
            for profile in incoming:
                profiles[profile.name] = profile
            _write(self.path, list(profiles.values()))
        return incoming

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Every read-modify-write of the file holds this: a thread lock for this process,
        ``flock`` on ``profiles.json.lock`` beside it for the others (a GUI and CLI
        commands, ten ``site add`` at once), so no write is lost."""
        with self._lock, _file_lock(self.path):
            yield


class ImportNotConfirmedError(ProfileError):
    """An import that could send a local file or a stored secret to a new host."""


def import_risks(incoming: Iterable[SiteProfile], existing: dict[str, SiteProfile]) -> list[str]:
    """What an import would do that its user must confirm, in plain sentences."""
    risks = []
    for profile in incoming:
        source = profile.manifest_source
        if source and not source.lower().startswith(("http://", "https://")):
            risks.append(
                f"site {profile.name!r} reads a local file as its manifest ({source}): its "
                "lines would be sent to the site"
            )
        old = existing.get(profile.name)
        if old is None:
            continue
        if _origin(old.base_url) != _origin(profile.base_url):
            risks.append(
                f"site {profile.name!r} moves from {old.base_url} to {profile.base_url}: its "
                "stored secret would go to the new address"
            )
        if set(old.instances) != set(profile.instances):
            risks.append(f"site {profile.name!r} changes its instances (the secret goes there)")
    return risks


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    if fcntl is None:  # not POSIX: the thread lock alone (one process at a time)
        yield
        return
    lock_path = path.with_name(path.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ProfileError(f"Cannot lock {path}: {exc.strerror or exc}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def load_profile_file(path: Path, name: str | None = None) -> SiteProfile:
    """One profile from a file ``site export`` wrote (a CI job's site, without a store).

    ``name`` picks one when the file has several; a file of one profile needs no name.
    """
    profiles = _read(path, missing_ok=False, what="site file")
    if name is not None:
        for profile in profiles:
            if profile.name == name:
                return profile
        names = ", ".join(p.name for p in profiles) or "none"
        raise ProfileNotFoundError(f"{path} has no site named {name!r}", hint=f"It has: {names}")
    if len(profiles) != 1:
        raise InvalidProfileError(
            f"{path} has {len(profiles)} sites", hint="Name the one to use: NAME --site-file FILE"
        )
    return profiles[0]


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
    _check_address_controls(profile)
    base_url = normalise_url(profile.base_url)
    instances = tuple(normalise_url(u) for u in profile.instances)
    try:
        validate_endpoint(profile.endpoint)
    except EndpointError as exc:
        raise InvalidProfileError(exc.message, hint=exc.hint) from exc
    problem = bounds_problem(
        concurrency=profile.concurrency, timeout=profile.timeout, retries=profile.retries
    )
    if problem is not None:
        raise InvalidProfileError(problem)
    for key, value in profile.headers:
        if not key.strip() or any(c in key for c in ":\r\n ") or _has_control(key + value):
            raise InvalidProfileError(f"Header {key!r} is not a valid HTTP header")
    if not 0 <= profile.rate_limit <= 100_000:
        raise InvalidProfileError("The rate limit must be between 0 and 100,000 per minute")
    _check_text(profile)
    return replace(
        profile,
        secret_headers=check_names(profile),
        cdn=validate_cdn(profile.cdn),
        name=name,
        base_url=base_url,
        instances=instances,
        proxy=normalise_proxy(profile.proxy),
        ca_bundle=(profile.ca_bundle or "").strip() or None,
        base_path=normalise_base_path(profile.base_path),
    )


def validate_cdn(cdn: CdnSettings) -> CdnSettings:
    """The CDN settings trimmed; raises InvalidProfileError with what to fix."""
    texts = (cdn.project, cdn.team, cdn.zone, cdn.target)
    if any(_has_control(t) or "/" in t or "?" in t or " " in t.strip() for t in texts):
        raise InvalidProfileError("A CDN project, team or zone is one word, without / or ?")
    cdn = replace(
        cdn,
        project=cdn.project.strip(),
        team=cdn.team.strip(),
        zone=cdn.zone.strip(),
        target=cdn.target.strip() or "production",
        public_url=normalise_url(cdn.public_url) if cdn.public_url.strip() else "",
    )
    if cdn.provider is CdnProvider.VERCEL:
        if not cdn.project:
            raise InvalidProfileError("A Vercel CDN needs its project (id or name)")
        if cdn.target not in VERCEL_TARGETS:
            raise InvalidProfileError("A Vercel target is production or preview")
    if cdn.provider is CdnProvider.CLOUDFLARE and not cdn.zone:
        raise InvalidProfileError("A Cloudflare CDN needs its zone id")
    return cdn


def normalise_proxy(proxy: str | None) -> str | None:
    """None (the environment's), ``direct`` (none), or an http(s) proxy URL."""
    text = (proxy or "").strip()
    if not text:
        return None
    if text.lower() == "direct":
        return "direct"
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidProfileError(
            f"{proxy!r} is not a proxy address",
            hint='For example http://proxy.example.com:3128, or "direct" for none',
        )
    if parts.username or parts.password:
        # The profile file is not a place for a password (it is exported, shown, shared).
        raise InvalidProfileError(
            "A proxy password does not belong in a site's settings",
            hint="Set it in the HTTPS_PROXY environment variable instead",
        )
    return text.rstrip("/")


def bounds_problem(*, concurrency: int, timeout: float, retries: int) -> str | None:
    """What is out of bounds in a run's concurrency, timeout and retries (None: all fine).

    The one check of these bounds, for a profile and for a run's overrides alike.
    """
    if not 1 <= concurrency <= 1024:
        return "Concurrency must be between 1 and 1024"
    if not 0 < timeout <= 600:  # also refuses nan and inf
        return "The timeout must be between 0 and 600 seconds"
    if not 0 <= retries <= 20:
        return "Retries must be between 0 and 20"
    return None


def _check_address_controls(profile: SiteProfile) -> None:
    """``urlsplit`` drops CR, LF and TAB before it validates, so an address holding them
    passed and was stored raw (then printed by ``site list``): refuse them here."""
    endpoint = profile.endpoint
    for what, text in (
        ("address", profile.base_url),
        *(("instance", url) for url in profile.instances),
        ("endpoint path", endpoint.path),
        ("URL template", endpoint.url_template),
        ("tag URL template", endpoint.tag_url_template),
        ("manifest source", profile.manifest_source or ""),
    ):
        if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in text):
            raise InvalidProfileError(
                f"The {what} {text.encode('unicode_escape').decode()[:80]!r} contains "
                "control characters",
                hint="Remove line breaks and tabs from it",
            )


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
        profile.proxy or "",
        profile.ca_bundle or "",
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


def _dumps(profiles: list[SiteProfile]) -> str:
    data = {"version": FORMAT_VERSION, "profiles": [profile_to_dict(p) for p in profiles]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _write(path: Path, profiles: list[SiteProfile], *, mode: int = 0o600) -> None:
    text = _dumps(profiles)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda fh: fh.write(text), mode=mode)
    except OSError as exc:
        raise ProfileError(f"Cannot write {path}: {exc.strerror or exc}") from exc
