"""The clients' side of TLS: how a ``wss://`` or ``https://`` server's certificate is checked,
and what a person is told when it cannot be trusted.

Standard library only, like the rest of this package (every app imports it). The rules:

- A server's certificate is always verified: its chain up to a trusted CA, and its name
  against the host in the address (an IP address against the certificate's IP entries).
  There is no option to turn verification off; a failure never falls back to an unchecked
  connection.
- Without a CA file the system's trust store decides (a public CA, such as Let's Encrypt,
  for a server with a public name). With one (``--ca-file``: a province's private CA), that
  file alone decides: a certificate from any other CA is refused, so the devices trust only
  what the province issued.
- TLS 1.2 at least (Python's default context); the server may ask for 1.3.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from urllib.parse import urlsplit


class CaFileError(ValueError):
    """A CA file that cannot be used; the message names it and says why."""


def client_context(ca_file: str | Path | None = None) -> ssl.SSLContext:
    """A context that verifies the server: against ``ca_file`` alone when given (PEM, one or
    more CA certificates), else against the system's trust store.

    Raises :class:`CaFileError` when the file is missing, unreadable or holds no certificate.
    """
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = max(context.minimum_version, ssl.TLSVersion.TLSv1_2)
    if ca_file is None:
        return context
    # A fresh context: create_default_context has already loaded the system's CAs, and a CA
    # file is meant to replace them.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    path = Path(ca_file)
    try:
        text = path.read_text("ascii")
    except FileNotFoundError:
        raise CaFileError(f"CA file {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not a PEM text file"
        raise CaFileError(f"CA file {path}: cannot be read ({reason})") from None
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise CaFileError(f"CA file {path}: holds no certificate (expected PEM text starting "
                          "with -----BEGIN CERTIFICATE-----)")
    try:
        context.load_verify_locations(cadata=text)
    except (ssl.SSLError, ValueError) as error:
        raise CaFileError(f"CA file {path}: not a valid PEM certificate ({error})") from None
    return context


def check_ca_file(ca_file: str) -> str:
    """``ca_file`` as an absolute path once it loads (an app checks ``--ca-file`` at start-up,
    and stores the absolute path at enrolment); raises :class:`CaFileError`."""
    path = Path(ca_file).expanduser()
    client_context(path)
    return str(path.resolve())


def trust_described(ca_file: str | Path | None) -> str:
    """Which CAs were trusted, for a message."""
    return ("the system's trusted CAs" if ca_file is None
            else f"only the CA in {ca_file}")


def explain_failure(error: ssl.SSLError, url: str, ca_file: str | Path | None) -> str:
    """Why a TLS connection to ``url`` failed, in words a person can act on: which server,
    what was wrong with its certificate (or its answer), what to do."""
    parts = urlsplit(url)
    where = parts.netloc or url
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = error.verify_message or str(error)
        code = error.verify_code
        if code == 62 or "mismatch" in detail.lower():  # X509_V_ERR_HOSTNAME/IP_MISMATCH
            hint = (f"the certificate was made for another name than {parts.hostname!r}: "
                    "connect with a name it lists, or make one that lists this address")
        elif code in (10, 9):  # X509_V_ERR_CERT_HAS_EXPIRED / CERT_NOT_YET_VALID
            hint = "renew the server's certificate (or correct this machine's clock)"
        elif code in (18, 19, 20, 21):  # self-signed, or the issuer is not trusted
            hint = ("its CA is not trusted here: give the CA's certificate with --ca-file"
                    if ca_file is None else
                    f"it was not issued by the CA in {ca_file}: give the right CA file")
        else:
            hint = "check the server's certificate"
        return (f"the certificate of {where} cannot be trusted: {detail} "
                f"(trusting {trust_described(ca_file)}); {hint}")
    reason = getattr(error, "reason", None) or str(error)
    if reason in ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG"):
        return (f"{where} did not answer with TLS ({reason}): if its server runs without a "
                "certificate, use ws:// or http://")
    if reason in ("UNEXPECTED_EOF_WHILE_READING", "TLSV1_ALERT_PROTOCOL_VERSION",
                  "UNSUPPORTED_PROTOCOL"):
        return (f"{where} ended the TLS handshake ({reason}): it may ask for a newer TLS "
                "version than this machine offers (its tls_minimum_version)")
    return f"TLS with {where} failed: {reason}"
