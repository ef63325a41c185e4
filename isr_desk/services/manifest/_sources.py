"""Reading a manifest source's bytes: a local file or an http(s) URL, both with a size cap.

Every failure becomes a :class:`~isr_desk.services.errors.ManifestError` whose message names
the source and the problem. The cap is enforced while reading/streaming, so a 200 MB file or an
endless response never lands in memory; a download goes through the one capped reader
(:func:`~isr_desk.services.http.iter_capped`), so a decompression bomb is refused before it
inflates, and it has a total deadline (:class:`Deadline`) on top of the per-read timeout, so a
server that drips one byte a second cannot keep it running (docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from dataclasses import dataclass
from typing import Any

import httpx

from isr_desk.services.errors import ManifestError
from isr_desk.services.http import (
    ACCEPT_ENCODING,
    BodyTooLargeError,
    Network,
    NetworkFailure,
    SyncRoutingTransport,
    iter_capped,
)

DEFAULT_MAX_BYTES = 128 * 1024 * 1024
FETCH_TIMEOUT = 10.0  # seconds of silence
FETCH_DEADLINE = 3 * FETCH_TIMEOUT  # seconds for a whole download, redirects included
MAX_REDIRECTS = 5
# A manifest (JSON, XML, a list) compresses 5-30 times; zeros compress 1000 times per layer.
MAX_RATIO = 256


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetched body with what the server said it was."""

    data: bytes
    url: str
    content_type: str


def human_size(size: int) -> str:
    """``128 MiB`` / ``512 KiB`` / ``900 bytes``."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


class TooBigError(ManifestError):
    """The source is over the size cap."""


def too_big(source: str, max_bytes: int) -> ManifestError:
    return TooBigError(
        f"{source}: larger than the {human_size(max_bytes)} limit for manifests",
        hint="point ISR Desk at a smaller manifest (or split the sitemap)",
    )


def read_file(path: str, *, source: str, max_bytes: int) -> bytes:
    """The bytes of a local file, refusing one over ``max_bytes``."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                raise too_big(source, max_bytes)
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise ManifestError(
            f"{source}: no such file or directory",
            hint="check the manifest source of the site (a file, a .next directory or a URL)",
        ) from None
    except IsADirectoryError:
        raise ManifestError(f"{source}: is a directory, not a file") from None
    except PermissionError:
        raise ManifestError(f"{source}: permission denied") from None
    except ValueError:  # a NUL in the name
        raise ManifestError(f"{source!r}: not a valid file name") from None
    except OSError as exc:
        raise ManifestError(f"{source}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:  # grew while reading, or a special file without a size
        raise too_big(source, max_bytes)
    return data


def make_client(network: Network | None = None) -> httpx.Client:
    """A client with the manifest timeout and a bounded number of redirects.

    Proxies and trust as for every other request: the environment's ``*_PROXY``/``NO_PROXY``
    or the profile's proxy, the system trust store plus the profile's CA bundle. No
    kept-alive connections: each download's connections are its own, so its
    :class:`Deadline` can reach every socket it waits on.
    """
    return httpx.Client(
        transport=SyncRoutingTransport(network or Network(), keepalive=False),
        timeout=FETCH_TIMEOUT,
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"Accept-Encoding": ACCEPT_ENCODING},
        trust_env=False,
    )


class Deadline:
    """A total deadline for one synchronous download.

    httpx's timeouts are per read: a server sending a header line or a body byte a second
    never trips them. The sockets the download opens are noted (httpcore's ``trace``
    extension) and shut down when ``seconds`` have passed, which ends any read at once.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._streams: list[Any] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event.endswith(".complete") and "return_value" in info:
            with self._lock:
                self._streams.append(info["return_value"])
                expired = self.expired
            if expired:
                _shut(info["return_value"])

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            streams = list(self._streams)
        for stream in streams:
            _shut(stream)


def _shut(stream: Any) -> None:
    """Shut a socket down (both ways) through a duplicate of its descriptor: a thread
    blocked reading it wakes at once, and the socket object itself is left alone."""
    get = getattr(stream, "get_extra_info", None)
    sock = get("socket") if get is not None else None
    if not isinstance(sock, socket.socket):
        return
    with contextlib.suppress(OSError, ValueError):
        dup = socket.socket(fileno=os.dup(sock.fileno()))
        try:
            dup.shutdown(socket.SHUT_RDWR)
        finally:
            dup.close()


def fetch(
    client: httpx.Client,
    url: str,
    *,
    source: str,
    max_bytes: int,
    deadline: float = FETCH_DEADLINE,
) -> Fetched:
    """GET ``url`` following a bounded number of redirects, with the size cap and deadline."""
    with Deadline(deadline) as timer:
        try:
            return _fetch(client, url, source=source, max_bytes=max_bytes, trace=timer.trace)
        except ManifestError:
            if timer.expired:  # the shut-down socket made the download fail
                raise _late(source, deadline) from None
            raise


def _late(source: str, deadline: float) -> ManifestError:
    return ManifestError(
        f"{source}: the download did not finish within {deadline:g} s",
        hint="the site answers too slowly; try again or use a local copy of the manifest",
    )


def _fetch(client: httpx.Client, url: str, *, source: str, max_bytes: int, trace: Any) -> Fetched:
    try:
        extensions = {"trace": trace}
        with client.stream("GET", url, follow_redirects=True, extensions=extensions) as response:
            _check_status(response, source)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise too_big(source, max_bytes)
            body = bytearray()
            for chunk in iter_capped(response, max_bytes + 1, max_ratio=MAX_RATIO):
                body += chunk
            if len(body) > max_bytes:
                raise too_big(source, max_bytes)
            content_type = response.headers.get("content-type", "").split(";")[0].strip()
            return Fetched(bytes(body), str(response.url), content_type.lower())
    except BodyTooLargeError:
        raise ManifestError(
            f"{source}: the download inflates far beyond its size (a decompression bomb)",
            hint="the server sends a compressed body no manifest would be; check the URL",
        ) from None
    except httpx.TooManyRedirects:
        raise ManifestError(
            f"{source}: more than {MAX_REDIRECTS} redirects",
            hint="the URL redirects in a loop; use the final URL",
        ) from None
    except httpx.TimeoutException:
        raise ManifestError(
            f"{source}: no answer within the timeout",
            hint="the site is slow or down; try again or use a local copy of the manifest",
        ) from None
    except NetworkFailure as exc:  # the proxy, not the site (docs/networks.md)
        raise ManifestError(f"{source}: {exc}", hint=exc.hint) from None
    except httpx.ConnectError:
        raise ManifestError(
            f"{source}: cannot connect",
            hint="the site is down or the URL is wrong",
        ) from None
    except (httpx.UnsupportedProtocol, httpx.InvalidURL):
        raise ManifestError(f"{source}: not a valid http(s) URL") from None
    except httpx.HTTPError as exc:
        raise ManifestError(
            f"{source}: the download failed ({type(exc).__name__})",
            hint="check that the URL serves the manifest",
        ) from None


def _check_status(response: httpx.Response, source: str) -> None:
    status = response.status_code
    if status == 200:
        return
    if status == 404:
        raise ManifestError(
            f"{source}: not found (HTTP 404)",
            hint="check the manifest URL; the site must serve the file at that path",
        )
    if status in (401, 403):
        raise ManifestError(
            f"{source}: access denied (HTTP {status})",
            hint="the manifest must be readable without logging in",
        )
    if 300 <= status < 400:
        raise ManifestError(f"{source}: redirect (HTTP {status}) without a usable location")
    raise ManifestError(
        f"{source}: the server answered HTTP {status}",
        hint="the site may be down or the URL wrong",
    )
