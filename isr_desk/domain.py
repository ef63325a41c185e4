"""Domain objects of ISR Desk: plain, frozen values with no I/O and no Qt.

Services take and return these; views display them. Anything that talks to the network,
the disk or the keyring lives in :mod:`isr_desk.services`.
"""

from __future__ import annotations

import base64
import enum
import functools
import html
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

REDACTED = "•••"

# Header names that carry a credential (docs/reliability.md, "Credential headers"): whole
# names, a word of the name (``X-Api-Key``, ``X-Auth-Token``, ``X-Vercel-Protection-Bypass``),
# or a credential word inside one (``X-Apikey``, ``X-Accesstoken``).
_CREDENTIAL_NAMES = frozenset({"authorization", "proxy-authorization", "cookie"})
_CREDENTIAL_WORDS = frozenset(
    {"auth", "key", "apikey", "token", "secret", "password", "passwd", "pass", "session",
     "sessionid", "signature", "sig", "bypass", "credential", "credentials", "jwt", "cookie"}
)  # fmt: skip
_CREDENTIAL_PARTS = re.compile(
    r"token|secret|passw|cookie|apikey|api_key|authoriz|authentic|credential|session"
)


@functools.lru_cache(maxsize=256)
def is_credential_header(name: str) -> bool:
    """Whether a header named ``name`` looks like it carries a credential."""
    lower = name.strip().lower()
    if lower in _CREDENTIAL_NAMES or _CREDENTIAL_PARTS.search(lower):
        return True
    return any(word in _CREDENTIAL_WORDS for word in re.split(r"[-_.]", lower))


class TargetKind(enum.StrEnum):
    """What a revalidation addresses: one page path or one cache tag."""

    PATH = "path"
    TAG = "tag"


@dataclass(frozen=True, slots=True, order=True)
class Target:
    """One thing to revalidate: ``Target(TargetKind.PATH, "/blog/a")`` or a tag."""

    kind: TargetKind
    value: str

    @classmethod
    def path(cls, value: str) -> Target:
        return cls(TargetKind.PATH, value)

    @classmethod
    def tag(cls, value: str) -> Target:
        return cls(TargetKind.TAG, value)

    def __str__(self) -> str:
        return self.value if self.kind is TargetKind.PATH else f"tag:{self.value}"


class Preset(enum.StrEnum):
    """Endpoint conventions (docs/conventions.md, "Route shapes")."""

    APP_ROUTER = "app-router"
    PAGES_ROUTER = "pages-router"
    BEARER = "bearer"
    GET_QUERY = "get-query"  # the docs' GET ?secret=S&path=P or &tag=T route
    CUSTOM = "custom"


class SecretPlacement(enum.StrEnum):
    """Where a ``custom`` endpoint carries the secret."""

    QUERY = "query"  # ?<secret_name>=S
    HEADER = "header"  # <secret_name>: S   (``Authorization`` gets ``Bearer S``)
    TEMPLATE = "template"  # only where the templates say ``{secret}``


@dataclass(frozen=True, slots=True)
class Endpoint:
    """How a site's revalidation route wants to be called.

    ``path`` is appended to the profile's base URL for the built-in presets. The
    ``method``/``*_template``/``secret_*`` fields matter only for :attr:`Preset.CUSTOM`:
    ``url_template`` and ``path_body_template`` shape a path request (placeholders ``{url}``,
    ``{path}``, ``{paths}``, ``{type}``, ``{secret}``), ``tag_url_template`` and
    ``tag_body_template`` a tag request (``{url}``, ``{tag}``, ``{tags}``, ``{secret}``). An
    empty URL template means the route takes no paths (or no tags). Templates are filled in
    one pass: a value is never scanned for placeholders (docs/conventions.md, "Custom routes").
    ``batch_size`` > 1 turns on batch mode: every request carries its items as
    ``{"paths": [...]}`` or ``{"tags": [...]}``, even a request with a single item.
    """

    preset: Preset = Preset.APP_ROUTER
    path: str = "/api/revalidate"
    method: str = "POST"
    url_template: str = "{url}/api/revalidate"
    tag_url_template: str = "{url}/api/revalidate"
    path_body_template: str = '{"path": "{path}"}'
    tag_body_template: str = '{"tag": "{tag}"}'
    secret_placement: SecretPlacement = SecretPlacement.QUERY
    secret_name: str = "secret"
    batch_size: int = 0


class CdnProvider(enum.StrEnum):
    """The CDN in front of a site that a run can purge too (docs/cdn.md)."""

    NONE = "none"
    VERCEL = "vercel"
    CLOUDFLARE = "cloudflare"

    @property
    def label(self) -> str:
        return {"none": "None", "vercel": "Vercel", "cloudflare": "Cloudflare"}[self.value]


class PathPurge(enum.StrEnum):
    """How a Cloudflare purge names a page: its URL, its URL as a prefix, or its whole host."""

    URLS = "urls"
    PREFIXES = "prefixes"
    HOSTS = "hosts"


VERCEL_TARGETS = ("production", "preview")


@dataclass(frozen=True, slots=True)
class CdnSettings:
    """A site's CDN (docs/cdn.md). Never holds the API token: that lives in the keyring.

    Vercel: ``project`` (id or name), ``team`` (team id, optional), ``target`` (production or
    preview). Cloudflare: ``zone`` (zone id) and ``path_purge``. ``public_url``: where
    visitors see the site (a purge names page URLs there; empty: the site's base URL).
    ``by_default``: every run of the site purges the CDN too.
    """

    provider: CdnProvider = CdnProvider.NONE
    project: str = ""
    team: str = ""
    target: str = "production"
    zone: str = ""
    path_purge: PathPurge = PathPurge.URLS
    public_url: str = ""
    by_default: bool = False

    @property
    def enabled(self) -> bool:
        return self.provider is not CdnProvider.NONE

    @property
    def step(self) -> str:
        """The step name of this CDN's rows in a run: ``cdn: Cloudflare``."""
        return f"cdn: {self.provider.label}"


@dataclass(frozen=True, slots=True)
class SiteProfile:
    """A site the user revalidates. Never holds the secret (that lives in the keyring)."""

    name: str
    base_url: str
    endpoint: Endpoint = field(default_factory=Endpoint)
    manifest_source: str | None = None
    concurrency: int = 8
    timeout: float = 10.0
    retries: int = 2
    headers: tuple[tuple[str, str], ...] = ()
    instances: tuple[str, ...] = ()
    # A company network (docs/networks.md): None = the environment's *_PROXY; "direct" = none.
    proxy: str | None = None
    ca_bundle: str | None = None  # a PEM file trusted beside the system store
    rate_limit: int = 0  # requests per minute at most (0 = no limit); hosts cap purges
    # Site conventions (from the build's manifest, or set by hand): see SiteConventions.
    base_path: str = ""
    trailing_slash: bool = False
    encode_paths: bool = True
    cdn: CdnSettings = field(default_factory=CdnSettings)
    # Secret headers (docs/reliability.md, "Credential headers"): the names are stored; their
    # values live in the keyring only and are filled in memory for a run
    # (services/sites/_secret_headers.py), never written, shown or compared.
    secret_headers: tuple[str, ...] = ()
    secret_values: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)

    @property
    def bases(self) -> tuple[str, ...]:
        """Every base URL a run goes to: the instances when set, else the base URL."""
        return self.instances or (self.base_url,)


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """A request ready to send, as built by :mod:`isr_desk.services.sites._endpoints`.

    ``secret`` is kept only so that :meth:`redacted` can blank it everywhere; a redacted
    request has ``secret=None`` and is what views, logs, history and exports receive.
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    targets: tuple[Target, ...]
    secret: str | None = field(default=None, repr=False)
    hidden: tuple[str, ...] = field(default=(), repr=False)  # the site's secret header values

    def redacted(self) -> PreparedRequest:
        """Without the secret or a secret header's value, and without the value of any header
        that looks like a credential (a site's extra header stored before they were refused)."""
        headers = tuple(
            (k, REDACTED if v in self.hidden else _redact_header(k, v, self.secret))
            for k, v in self.headers
        )
        if not self.secret and not self.hidden:
            return PreparedRequest(self.method, self.url, headers, self.body, self.targets)
        secrets = (self.secret, *self.hidden)
        return PreparedRequest(
            method=self.method,
            url=redact_text(self.url, *secrets),
            headers=headers,
            body=None if self.body is None else redact_bytes(self.body, *secrets),
            targets=self.targets,
        )


def _redact_header(name: str, value: str, secret: str | None) -> str:
    shown = redact_text(value, secret) if secret else value
    if shown == value and REDACTED not in value and is_credential_header(name):
        return REDACTED
    return shown


def secret_place(request: PreparedRequest) -> str:
    """Where ``request`` carries its secret, in words: "the query parameter `secret`",
    "the header `x-revalidate-token`", "the request body"; "" when it carries none."""
    secret = request.secret
    if not secret:
        return ""
    forms = _secret_forms(secret)
    query = request.url.partition("?")[2]
    for item in query.split("&"):
        name, _, value = item.partition("=")
        if value and any(f in value for f in forms):
            return f"the query parameter `{unquote_plus(name)}`"
    for name, value in request.headers:
        if secret in value:
            return f"the header `{name}`"
    if any(f in request.url for f in forms):
        return "the address"
    if request.body is not None and secret.encode("utf-8", "replace") in request.body:
        return "the request body"
    return ""


def redact_text(text: str, *secrets: str | None) -> str:
    """Replace every echo form of each secret by ``•••`` (docs/reliability.md, "Redaction").

    The forms a site or a proxy echoes a secret in: raw, percent-encoded (either case),
    ``+`` for spaces, JSON-escaped (``\\u00e9``, PHP's ``\\/``), HTML-escaped, base64,
    hex, NFC/NFD, all matched regardless of case (upper-cased, lower-cased).
    """
    for secret in secrets:
        if not secret:
            continue
        pattern = _secret_pattern(secret)
        if pattern.search(text):
            text = pattern.sub(REDACTED, text)
    return text


@functools.lru_cache(maxsize=64)
def _secret_pattern(secret: str) -> re.Pattern[str]:
    # Longest first, so a form that contains another is replaced whole.
    forms = sorted(_secret_forms(secret), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, forms)), re.IGNORECASE)


@functools.lru_cache(maxsize=64)
def _secret_forms(secret: str) -> tuple[str, ...]:
    forms: set[str] = set()
    for text in {
        secret,
        unicodedata.normalize("NFC", secret),
        unicodedata.normalize("NFD", secret),
    }:
        raw = text.encode("utf-8")
        json_ascii = json.dumps(text)[1:-1]
        json_plain = json.dumps(text, ensure_ascii=False)[1:-1]
        forms |= {
            text,
            quote(text, safe=""),
            quote(text, safe="/"),
            quote_plus(text),
            json_ascii,
            json_plain,
            json_ascii.replace("/", "\\/"),
            json_plain.replace("/", "\\/"),
            html.escape(text, quote=True),
            html.escape(text, quote=False),
            html.escape(text, quote=True).replace("&#x27;", "&#39;"),
            raw.hex(),
        }
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            b64 = encode(raw).decode("ascii")
            forms |= {b64, b64.rstrip("=")}
    return tuple(f for f in forms if f)


def redact_bytes(data: bytes, *secrets: str | None) -> bytes:
    text = data.decode("utf-8", errors="replace")
    return redact_text(text, *secrets).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Timing:
    """Where a request's time went, in milliseconds (``None`` where not measured)."""

    total_ms: float
    connect_ms: float | None = None
    tls_ms: float | None = None
    first_byte_ms: float | None = None


class Outcome(enum.StrEnum):
    """The plain-words result of one target, as an editor reads it."""

    REFRESHED = "refreshed"
    NOT_REVALIDATED = "not-revalidated"
    WRONG_SECRET = "wrong-secret"
    NOT_FOUND = "not-found"
    BAD_REQUEST = "bad-request"
    WRONG_METHOD = "wrong-method"
    RATE_LIMITED = "rate-limited"
    SERVER_ERROR = "server-error"
    REDIRECTED = "redirected"
    TIMED_OUT = "timed-out"
    UNREACHABLE = "unreachable"
    TLS_ERROR = "tls-error"
    UNSUPPORTED = "unsupported"
    CANCELLED = "cancelled"
    PURGED = "purged"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self]


_OUTCOME_LABELS = {
    Outcome.REFRESHED: "Refreshed",
    Outcome.NOT_REVALIDATED: "Not revalidated",
    Outcome.WRONG_SECRET: "Wrong secret",
    Outcome.NOT_FOUND: "Not found",
    Outcome.BAD_REQUEST: "Rejected request",
    Outcome.WRONG_METHOD: "Wrong method",
    Outcome.RATE_LIMITED: "Rate limited",
    Outcome.SERVER_ERROR: "Server error",
    Outcome.REDIRECTED: "Redirected",
    Outcome.TIMED_OUT: "Timed out",
    Outcome.UNREACHABLE: "Site unreachable",
    Outcome.TLS_ERROR: "Certificate problem",
    Outcome.UNSUPPORTED: "Not supported",
    Outcome.CANCELLED: "Cancelled",
    Outcome.PURGED: "Purged from the CDN",
    Outcome.OTHER: "Failed",
}


ORIGIN = "origin"  # the step of a revalidation at the site; a CDN purge's is "cdn: <name>"


@dataclass(frozen=True, slots=True)
class Result:
    """What happened to one target on one base URL (instance), in one step of a run.

    ``response`` is the parsed JSON body, or a text excerpt, or ``None``. ``request`` is the
    last request sent, already redacted. ``started_at`` is wall-clock epoch seconds.
    ``step``: ``origin`` (the site's revalidation route) or ``cdn: Vercel`` / ``cdn:
    Cloudflare`` (the purge of the same target at the CDN, a row of its own).
    """

    target: Target
    ok: bool
    outcome: Outcome
    status: int | None
    duration_ms: float
    attempts: int
    response: Any = None
    error: str | None = None
    hint: str | None = None
    timing: Timing | None = None
    instance: str | None = None
    started_at: float = 0.0
    request: PreparedRequest | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    step: str = ORIGIN

    def to_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` line shape (docs/architecture.md, "What the faces promise")."""
        data: dict[str, Any] = {
            "step": self.step,
            "kind": self.target.kind.value,
            "target": self.target.value,
            "ok": self.ok,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 1),
            "attempts": self.attempts,
            "response": self.response,
            "error": self.error,
            "hint": self.hint,
            "result": self.outcome.label,
        }
        if self.instance is not None:
            data["instance"] = self.instance
        return data


def percentile(values: Sequence[float], fraction: float, *, presorted: bool = False) -> float:
    """Nearest-rank percentile; 0.0 for no values. ``presorted``: ``values`` are in order
    already (a chart keeping a sorted list skips the sort)."""
    if not values:
        return 0.0
    ordered = values if presorted else sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 page``, ``2 pages``, ``1,000 pages``: the one plural of the CLI and the window."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def format_duration(ms: float | None) -> str:
    """``850 ms``, ``12.3 s``, ``2 min 00 s``; ``—`` when unknown (a run still going)."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    minutes, seconds = divmod(round(ms / 1000), 60)
    return f"{minutes} min {seconds:02d} s"


@dataclass(frozen=True, slots=True)
class RunSummary:
    """Totals of one run. ``not_sent`` counts targets a cancel kept from being sent;
    ``in_flight`` the requests a cancel abandoned (they may or may not have been applied),
    counted apart from ``failed``."""

    total: int
    ok: int
    failed: int
    duration_ms: float
    p50_ms: float
    p95_ms: float
    not_sent: int = 0
    cancelled: bool = False
    in_flight: int = 0

    @classmethod
    def from_results(
        cls, results: Iterable[Result], *, total: int, duration_ms: float, cancelled: bool = False
    ) -> RunSummary:
        done = list(results)
        ok = sum(1 for r in done if r.ok)
        in_flight = sum(1 for r in done if r.outcome is Outcome.CANCELLED)
        durations = [r.duration_ms for r in done if r.outcome is not Outcome.CANCELLED]
        return cls(
            total=total,
            ok=ok,
            failed=len(done) - ok - in_flight,
            in_flight=in_flight,
            duration_ms=duration_ms,
            p50_ms=percentile(durations, 0.50),
            p95_ms=percentile(durations, 0.95),
            not_sent=max(0, total - len(done)),
            cancelled=cancelled,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "ok": self.ok,
            "failed": self.failed,
            "not_sent": self.not_sent,
            "cancelled": self.cancelled,
            "in_flight": self.in_flight,
            "duration_ms": round(self.duration_ms, 1),
            "p50_ms": round(self.p50_ms, 1),
            "p95_ms": round(self.p95_ms, 1),
        }


# --- Manifests ---------------------------------------------------------------------------


class Router(enum.StrEnum):
    APP = "app"
    PAGES = "pages"


@dataclass(frozen=True, slots=True)
class ManifestPath:
    """A page the site knows. ``revalidate`` is seconds, ``False`` for never, ``None`` unknown."""

    path: str
    pattern: str | None = None
    tags: tuple[str, ...] = ()
    implicit_tags: tuple[str, ...] = ()
    revalidate: int | float | bool | None = None
    router: Router | None = None


@dataclass(frozen=True, slots=True)
class ManifestTag:
    """A cache tag and the paths a purge of it touches. ``implicit`` for Next's ``_N_T_`` tags."""

    tag: str
    paths: tuple[str, ...] = ()
    implicit: bool = False


@dataclass(frozen=True, slots=True)
class DynamicRoute:
    """A dynamic pattern such as ``/posts/[slug]`` (revalidate with ``type: page``)."""

    pattern: str
    router: Router | None = None
    fallback: str | bool | None = None


@dataclass(frozen=True, slots=True)
class SiteConventions:
    """What a Next.js build says about how its pages must be named to each revalidation API.

    ``encoded_paths``: the cache keys use percent-encoded non-ASCII paths (``None``: the build
    had no non-ASCII page to tell). See docs/conventions.md.
    """

    next_version: str | None = None
    routers: tuple[Router, ...] = ()
    base_path: str = ""
    trailing_slash: bool = False
    locales: tuple[str, ...] = ()
    default_locale: str | None = None
    encoded_paths: bool | None = None

    def summary(self) -> str:
        """One line: "Next 15.5 · App Router · trailingSlash · basePath /shop"."""
        parts = []
        if self.next_version:
            parts.append("Next " + ".".join(self.next_version.split(".")[:2]))
        names = {Router.APP: "App Router", Router.PAGES: "Pages Router"}
        parts += [names[r] for r in self.routers]
        if self.trailing_slash:
            parts.append("trailingSlash")
        if self.base_path:
            parts.append(f"basePath {self.base_path}")
        if self.locales:
            parts.append(
                "i18n " + ", ".join(self.locales[:4]) + ("…" if len(self.locales) > 4 else "")
            )
        return " · ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "next_version": self.next_version,
            "routers": [r.value for r in self.routers],
            "base_path": self.base_path,
            "trailing_slash": self.trailing_slash,
            "locales": list(self.locales),
            "default_locale": self.default_locale,
            "encoded_paths": self.encoded_paths,
        }


_UNITS = ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))


def human_duration(value: int | float | bool | None) -> str:
    """A revalidate value in words: "30 days", "1 hour", "90 seconds", "never", "" (unknown)."""
    if value is None:
        return ""
    if value is False:
        return "never"
    if value is True:
        return "yes"
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        return str(value)
    for size, unit in _UNITS:
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count:,} {unit}" + ("" if count == 1 else "s")
    return f"{seconds:g} seconds"


@dataclass(frozen=True, slots=True)
class Manifest:
    """Everything a site's manifest says, plus warnings a user needs to read."""

    source: str
    kind: str  # "next-build" | "json" | "sitemap" | "list"
    paths: tuple[ManifestPath, ...] = ()
    tags: tuple[ManifestTag, ...] = ()
    routes: tuple[DynamicRoute, ...] = ()
    warnings: tuple[str, ...] = ()
    base_path: str = ""
    locales: tuple[str, ...] = ()
    site: SiteConventions | None = None

    def tag_counts(self) -> str:
        """How the GUI and the CLI both count tags: "4 tags + 12 implicit"."""
        implicit = sum(1 for t in self.tags if t.implicit)
        own = len(self.tags) - implicit
        text = f"{own:,} tag" + ("" if own == 1 else "s")
        return text + (f" + {implicit:,} implicit" if implicit else "")
