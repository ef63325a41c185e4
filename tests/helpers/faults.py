"""Fault-injection HTTP(S) servers on 127.0.0.1 for the reliability tests.

:class:`FaultServer` speaks just enough HTTP/1.1 (keep-alive, Content-Length bodies) to be
a revalidation route that misbehaves on purpose. What it does is chosen per *target*: the
``path``/``tag`` of the JSON body (or the ``path`` query parameter, or else the request
path) is looked up in the faults set with :meth:`FaultServer.on`, so one run can mix a
healthy target with ones that reset, hang, drip, fail or rate-limit. Unknown targets get
``200 {"revalidated": true}``.

Faults are plain callables ``fault(conn) -> None`` writing to the raw socket; the
factories below make the usual ones. :func:`make_tls_context` builds server certificates
at test time (self-signed, or signed by a throw-away CA and expired).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import socketserver
import ssl
import struct
import subprocess
import threading
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.helpers.servers import InThread

ONE_MB = 1024 * 1024


@dataclass(frozen=True)
class Seen:
    """One request the fault server read completely."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    key: str


@dataclass
class Conn:
    """The connection a fault answers on; ``stop`` is set when the server shuts down."""

    sock: socket.socket
    stop: threading.Event
    request: Seen
    keep_alive: bool = True


Fault = Callable[[Conn], None]


# --- fault factories ---------------------------------------------------------------------------


def respond(
    status: int = 200,
    body: bytes | str | dict[str, Any] = b"",
    *,
    headers: dict[str, str] | None = None,
    content_type: str | None = None,
) -> Fault:
    """A complete, well-formed response."""
    if isinstance(body, dict):
        payload, ctype = json.dumps(body).encode(), "application/json"
    elif isinstance(body, str):
        payload, ctype = body.encode(), "text/plain; charset=utf-8"
    else:
        payload, ctype = body, "application/octet-stream"
    extra = dict(headers or {})
    extra.setdefault("Content-Type", content_type or ctype)

    def fault(conn: Conn) -> None:
        conn.sock.sendall(_head(status, extra, len(payload)) + payload)

    return fault


def ok() -> Fault:
    return respond(200, {"revalidated": True, "now": 1})


def reset_mid_response() -> Fault:
    """Headers and part of the body, then a TCP reset (SO_LINGER 0)."""

    def fault(conn: Conn) -> None:
        conn.sock.sendall(_head(200, {"Content-Type": "application/json"}, 100) + b'{"revali')
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.keep_alive = False

    return fault


def never_answer() -> Fault:
    """Read the request, then say nothing until the server stops."""

    def fault(conn: Conn) -> None:
        conn.stop.wait()
        conn.keep_alive = False

    return fault


def drip(*, interval: float = 1.0) -> Fault:
    """A response that arrives one byte per ``interval`` seconds, forever (1 byte/s)."""

    def fault(conn: Conn) -> None:
        data = _head(200, {"Content-Type": "application/json"}, 10 * ONE_MB) + b" " * ONE_MB
        conn.keep_alive = False
        for i in range(len(data)):
            try:
                conn.sock.sendall(data[i : i + 1])
            except OSError:
                return
            if conn.stop.wait(interval):
                return

    return fault


def huge_body(size: int = 50 * ONE_MB) -> Fault:
    """A ``size``-byte JSON-ish body, sent as fast as the client reads it."""

    def fault(conn: Conn) -> None:
        conn.keep_alive = False
        chunk = b"x" * (64 * 1024)
        conn.sock.sendall(_head(200, {"Content-Type": "text/plain"}, size) + b'{"a": "')
        sent = 7
        with contextlib.suppress(OSError):
            while sent < size and not conn.stop.is_set():
                part = chunk[: size - sent]
                conn.sock.sendall(part)
                sent += len(part)
        conn.sent = sent  # type: ignore[attr-defined]

    return fault


def gzip_bomb(size: int = 50 * ONE_MB) -> Fault:
    """A tiny gzip body that inflates to ``size`` bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    payload = packer.compress(b"\0" * size) + packer.flush()
    return respond(200, payload, headers={"Content-Encoding": "gzip"}, content_type="text/plain")


def html_page(status: int = 200) -> Fault:
    page = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>" + "<p>x</p>" * 900
    return respond(status, page + "</body></html>", content_type="text/html; charset=utf-8")


def invalid_utf8(status: int = 200) -> Fault:
    return respond(
        status, b'\xff\xfe{"revalidated": \xc3(true}\x80', content_type="application/json"
    )


def retry_after_seconds(seconds: int, status: int = 429) -> Fault:
    return respond(status, {"message": "slow down"}, headers={"Retry-After": str(seconds)})


def retry_after_date(seconds_from_now: float, status: int = 429) -> Fault:
    """429 with ``Retry-After`` as an HTTP-date, computed when the answer is sent."""

    def fault(conn: Conn) -> None:
        when = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds_from_now)
        header = {"Retry-After": format_datetime(when, usegmt=True)}
        respond(status, {"message": "slow down"}, headers=header)(conn)

    return fault


def redirect(location: str, status: int = 307) -> Fault:
    return respond(status, b"", headers={"Location": location})


# --- the server --------------------------------------------------------------------------------


class _TCPServer(socketserver.ThreadingTCPServer):
    request_queue_size = 1024
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False


class FaultServer(InThread):
    """A misbehaving revalidation route on 127.0.0.1; ``tls`` makes it HTTPS."""

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.seen: list[Seen] = []
        self.handshake_errors: list[str] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._tls = tls
        self._serve_in_thread(_TCPServer(("127.0.0.1", 0), self._handler_class()))

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._stop.set()  # handlers stuck in a slow fault give up
        super().stop()

    def on(self, key: str, *faults: Fault) -> None:
        """Requests for ``key`` get ``faults`` in order; the last one repeats."""
        with self._lock:
            self._faults[key] = deque(faults)

    def count(self, key: str) -> int:
        with self._lock:
            return sum(1 for s in self.seen if s.key == key)

    def _next_fault(self, key: str) -> Fault:
        with self._lock:
            queue = self._faults.get(key)
            if not queue:
                return ok()
            return queue.popleft() if len(queue) > 1 else queue[0]

    def _serve(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._tls is not None:
            try:
                sock = self._tls.wrap_socket(sock, server_side=True)
            except (OSError, ssl.SSLError) as exc:
                self.handshake_errors.append(str(exc))
                return
        reader = sock.makefile("rb")
        try:
            while not self._stop.is_set():
                seen = _read_request(reader)
                if seen is None:
                    return
                with self._lock:
                    self.seen.append(seen)
                conn = Conn(sock, self._stop, seen)
                try:
                    self._next_fault(seen.key)(conn)
                except OSError:
                    return
                if not conn.keep_alive:
                    return
        except (OSError, ValueError):
            return
        finally:
            # Closed here, not by socketserver: with SO_LINGER 0 this sends the reset.
            reader.close()
            with contextlib.suppress(OSError):
                sock.close()

    def _handler_class(self) -> type[socketserver.BaseRequestHandler]:
        server = self

        class _Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                server._serve(self.request)

        return _Handler


def _read_request(reader: Any) -> Seen | None:
    line = reader.readline(65536)
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = reader.readline(65536)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    body = reader.read(length) if length else b""
    parts = urlsplit(target)
    query = parse_qs(parts.query)
    return Seen(method, parts.path, query, headers, body, _key(parts.path, query, body))


def _key(path: str, query: dict[str, list[str]], body: bytes) -> str:
    with contextlib.suppress(ValueError):
        data = json.loads(body or b"null")
        if isinstance(data, dict):
            for name in ("path", "tag"):
                if isinstance(data.get(name), str):
                    return str(data[name])
    if query.get("path"):
        return query["path"][0]
    return path


def _head(status: int, headers: dict[str, str], length: int) -> bytes:
    lines = [f"HTTP/1.1 {status} Fault", f"Content-Length: {length}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# --- certificates --------------------------------------------------------------------------------


@dataclass
class Certs:
    """PEM files made for one test: ``ca`` signs ``leaf`` (unless self-signed)."""

    directory: Path
    ca_file: Path | None = None
    files: dict[str, tuple[Path, Path]] = field(default_factory=dict)


def make_certs(directory: Path) -> Certs:
    """A self-signed cert for 127.0.0.1, and an expired one signed by a throw-away CA."""
    try:
        return _certs_with_cryptography(directory)
    except ImportError:
        return _certs_with_openssl(directory)


def server_context(certs: Certs, which: str) -> ssl.SSLContext:
    cert, key = certs.files[which]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def client_context(certs: Certs) -> ssl.SSLContext:
    """A client context that trusts the throw-away CA (so expiry is the only problem)."""
    return ssl.create_default_context(cafile=str(certs.ca_file))


def _certs_with_cryptography(directory: Path) -> Certs:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def build(
        subject: str, key: Any, issuer: str, issuer_key: Any, start: dt.datetime, end: dt.datetime,
        *, ca: bool,
    ) -> Any:  # fmt: skip
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(name(issuer))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
            builder = builder.add_extension(san, critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def save(stem: str, cert: Any, key: Any) -> tuple[Path, Path]:
        cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_path, key_path

    certs = Certs(directory)
    self_key = ec.generate_private_key(ec.SECP256R1())
    day = dt.timedelta(days=1)
    selfsigned = build("127.0.0.1", self_key, "127.0.0.1", self_key, now - day, now + day, ca=False)
    certs.files["self-signed"] = save("self-signed", selfsigned, self_key)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = build("ISR Desk test CA", ca_key, "ISR Desk test CA", ca_key, now - 9 * day, now + 9 * day,
               ca=True)  # fmt: skip
    certs.ca_file, _ = save("ca", ca, ca_key)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    expired = build(
        "127.0.0.1", leaf_key, "ISR Desk test CA", ca_key, now - 5 * day, now - 2 * day, ca=False
    )
    certs.files["expired"] = save("expired", expired, leaf_key)
    return certs


def _certs_with_openssl(directory: Path) -> Certs:  # pragma: no cover - fallback only
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    certs = Certs(directory)
    san = "subjectAltName=IP:127.0.0.1"
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "self-signed.key", "-out", "self-signed.pem", "-days", "1",
        "-subj", "/CN=127.0.0.1", "-addext", san)  # fmt: skip
    certs.files["self-signed"] = (directory / "self-signed.pem", directory / "self-signed.key")
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "9",
        "-subj", "/CN=ISR Desk test CA")  # fmt: skip
    certs.ca_file = directory / "ca.pem"
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "expired.key", "-out", "expired.csr", "-subj", "/CN=127.0.0.1")  # fmt: skip
    (directory / "ext.cnf").write_text(san + "\n")
    # OpenSSL 3.0 has no -not_before/-not_after: -days -1 ends validity a day ago.
    run("x509", "-req", "-in", "expired.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "expired.pem", "-extfile", "ext.cnf",
        "-days", "-1")  # fmt: skip
    certs.files["expired"] = (directory / "expired.pem", directory / "expired.key")
    return certs


# --- keyring backends that fail the way real ones do ----------------------------------------------
# Loaded in CLI subprocesses with PYTHON_KEYRING_BACKEND=tests.helpers.faults.<Name>.

from keyring.backend import KeyringBackend  # noqa: E402 - keyring faults below
from keyring.errors import KeyringLocked, NoKeyringError  # noqa: E402


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
