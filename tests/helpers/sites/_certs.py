"""Certificates made at test time for the HTTPS fake sites (``FakeSite(tls=...)``).

:func:`make_certs` writes a self-signed certificate for 127.0.0.1 and an expired one signed
by a throw-away CA; :func:`server_context` and :func:`client_context` load them.
"""

from __future__ import annotations

import datetime as dt
import ssl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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
