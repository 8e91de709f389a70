"""Certificates made in the test: a private CA (as a province would run) and the server
certificates it signs, written as PEM files (the ``cryptography`` package, test extra).

EC P-256 keys: made in a millisecond, unlike RSA. Nothing here is fixed in the repository, so
no key or certificate can go stale or leak.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOCAL_NAMES = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class CertificateAuthority:
    """A CA: its certificate in ``certificate_path`` (what a client's ``--ca-file`` names)."""

    name: str
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    certificate_path: Path


@dataclass(frozen=True)
class ServerFiles:
    """A server certificate (``tls_certificate``) and its private key (``tls_key``)."""

    certificate: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "QMS test"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path, passphrase: bytes | None) -> None:
    encryption: serialization.KeySerializationEncryption = (
        serialization.NoEncryption() if passphrase is None
        else serialization.BestAvailableEncryption(passphrase))
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8, encryption))


def make_ca(folder: Path, name: str = "QMS test province CA") -> CertificateAuthority:
    """A self-signed CA, valid from yesterday for a year; its certificate written to
    ``folder/<slug>.pem``."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(name)).issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    path = folder / (name.lower().replace(" ", "-") + ".pem")
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return CertificateAuthority(name, key, certificate, path)


def issue_server_certificate(authority: CertificateAuthority, folder: Path,
                             names: tuple[str, ...] = LOCAL_NAMES, stem: str = "server",
                             passphrase: bytes | None = None,
                             expired: bool = False) -> ServerFiles:
    """A server certificate for ``names`` (DNS names and IP addresses) signed by ``authority``;
    ``stem.pem`` and ``stem.key`` in ``folder``. ``expired``: it ended yesterday."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    ends = now - timedelta(days=1) if expired else now + timedelta(days=90)
    alternatives: list[x509.GeneralName] = []
    for name in names:
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternatives.append(x509.DNSName(name))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0])).issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=2)).not_valid_after(ends)
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            authority.key.public_key()), critical=False)
        .sign(authority.key, hashes.SHA256())
    )
    files = ServerFiles(folder / f"{stem}.pem", folder / f"{stem}.key")
    files.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    _write_key(key, files.key, passphrase)
    files.key.chmod(0o600)
    return files


@dataclass(frozen=True)
class TlsSetup:
    """A province's CA, the server certificate it issued for this machine (localhost and
    127.0.0.1), and the server's configuration document using them."""

    authority: CertificateAuthority
    files: ServerFiles
    config: dict[str, Any]


def tls_setup(folder: Path, config: dict[str, Any]) -> TlsSetup:
    """``config`` (a :func:`support.servers.site_config` document) served over TLS: a new CA
    and server certificate in ``folder``, ``[server]`` naming them, the public URL https."""
    authority = make_ca(folder)
    files = issue_server_certificate(authority, folder)
    config["server"].update(tls_certificate=str(files.certificate), tls_key=str(files.key),
                            public_url="https://127.0.0.1:8765")
    return TlsSetup(authority, files, config)
