"""The server's TLS: its certificate and key files read into the context it listens with.

``[server] tls_certificate`` and ``tls_key`` (PEM files, both or neither) turn TLS on for the
one port: ``https://`` pages and ``wss://`` WebSocket. The settings' model reads them with
:func:`server_context` when the configuration is loaded, so a missing file, a file that is
not PEM, an encrypted key or a key that is not the certificate's stops the server at start-up
with a reason naming the key, rather than at the first browser's handshake.

Standard library only (``ssl``): the server needs no other package for TLS.
"""

from __future__ import annotations

import ssl
from enum import StrEnum
from pathlib import Path

from server.config.errors import ConfigError


class TlsVersion(StrEnum):
    """The oldest TLS version the server accepts (``tls_minimum_version``)."""

    TLS_1_2 = "1.2"
    TLS_1_3 = "1.3"

    @property
    def ssl_version(self) -> ssl.TLSVersion:
        return ssl.TLSVersion.TLSv1_3 if self is TlsVersion.TLS_1_3 else ssl.TLSVersion.TLSv1_2


class _EncryptedKey(Exception):
    """Raised from the passphrase callback: the server never asks for one on a terminal."""


def _pem_text(path: Path, key: str, marker: str, what: str) -> str:
    try:
        text = path.read_text("ascii")
    except FileNotFoundError:
        raise ConfigError(key, f"no such file: {path}") from None
    except IsADirectoryError:
        raise ConfigError(key, f"{path} is a folder, not a {what} file") from None
    except PermissionError:
        raise ConfigError(key, f"cannot read {path}: permission denied (the server's "
                               "account must be able to read it)") from None
    except OSError as error:
        raise ConfigError(key, f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(key, f"{path} is not a PEM file (binary data: a DER {what} must "
                               "be converted to PEM)") from None
    if marker not in text:
        raise ConfigError(key, f"{path} holds no PEM {what} (no line with {marker}-----)")
    return text


def server_context(certificate: Path, key: Path,
                   minimum_version: TlsVersion = TlsVersion.TLS_1_2) -> ssl.SSLContext:
    """The server's context: ``certificate`` (the server's, then any intermediate CAs) and its
    private ``key`` (unencrypted), TLS ``minimum_version`` or newer, HTTP/1.1.

    Raises :class:`ConfigError` whose key, ``tls_certificate`` or ``tls_key``, is relative to
    ``[server]``.
    """
    _pem_text(certificate, "tls_certificate",
                                 "-----BEGIN CERTIFICATE", "certificate")
    key_text = _pem_text(key, "tls_key", "PRIVATE KEY", "private key")
    if "ENCRYPTED" in key_text:
        raise ConfigError("tls_key", f"{key} is encrypted with a passphrase: give the "
                                            "key unencrypted, readable by the server's account "
                                            "only")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = minimum_version.ssl_version
    context.set_alpn_protocols(["http/1.1"])

    def no_passphrase() -> str:
        raise _EncryptedKey

    try:
        context.load_cert_chain(certificate, key, password=no_passphrase)
    except _EncryptedKey:
        raise ConfigError("tls_key", f"{key} is encrypted with a passphrase: give the "
                                            "key unencrypted, readable by the server's account "
                                            "only") from None
    except ssl.SSLError as error:
        reason = getattr(error, "reason", None) or str(error)
        if reason == "KEY_VALUES_MISMATCH":
            raise ConfigError("tls_key", f"{key} is not the private key of the "
                                                f"certificate in {certificate} (their public "
                                                "keys differ)") from None
        if reason in ("EE_KEY_TOO_SMALL", "CA_MD_TOO_WEAK"):
            raise ConfigError("tls_certificate", f"{certificate} is too weak "
                                                        f"({reason}): make a new one with a "
                                                        "2048-bit RSA or an EC key, signed "
                                                        "with SHA-256") from None
        raise ConfigError("tls_certificate", f"{certificate} and {key} cannot be used "
                                                    f"together: {reason}") from None
    return context
