"""A renewed TLS certificate taken up without a restart.

Certificates are short-lived (Let's Encrypt's 90 days; a province's CA may issue for a
year) and are renewed by replacing the two files the configuration names. Every
:data:`CHECK_SECONDS` the server looks at the files (their size and modification time); when
they changed, it checks the pair exactly as at start-up (:func:`server_context`: a PEM
certificate, an unencrypted key that belongs to it) and loads it into the context the port
listens with, so every connection opened from then on is served the new certificate, and
the connections already open keep theirs. A pair that does not pass is logged, once per
change of the files, with the reason, and the certificate in use stays (a renewal caught
half-written is taken at the next look, when both files are there).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from server.config import ConfigError
from server.config.tls import TlsVersion, server_context

logger = logging.getLogger(__name__)

CHECK_SECONDS = 60.0


class Outcome(Enum):
    """What a look at the files found."""

    UNCHANGED = "unchanged"
    RELOADED = "reloaded"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class _Stamp:
    size: int
    modified_ns: int


def _stamp(path: Path) -> _Stamp | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return _Stamp(status.st_size, status.st_mtime_ns)


class CertificateReloader:
    """Keeps ``context`` serving the certificate and key at ``certificate`` and ``key``."""

    def __init__(self, context: ssl.SSLContext, certificate: Path, key: Path,
                 minimum_version: TlsVersion) -> None:
        self.context = context
        self.certificate = certificate
        self.key = key
        self.minimum_version = minimum_version
        self._loaded = (_stamp(certificate), _stamp(key))
        self._refused: tuple[_Stamp | None, _Stamp | None] | None = None
        self.reloads = 0

    def check(self) -> Outcome:
        """Look at the files now; load them into the context if they changed and pass."""
        stamps = (_stamp(self.certificate), _stamp(self.key))
        if stamps == self._loaded:
            return Outcome.UNCHANGED
        try:
            # The same checks as at start-up, on a context of its own: the one in use is
            # touched only with a pair known to be good.
            server_context(self.certificate, self.key, self.minimum_version)
            self.context.load_cert_chain(self.certificate, self.key)
        except (ConfigError, ssl.SSLError, OSError) as error:
            if stamps != self._refused:
                logger.error("the renewed TLS certificate %s was not taken up (%s); the one "
                             "in use stays", self.certificate, error)
                self._refused = stamps
            return Outcome.REFUSED
        self._loaded = stamps
        self._refused = None
        self.reloads += 1
        logger.info("TLS certificate %s reloaded: new connections are served it",
                    self.certificate)
        return Outcome.RELOADED

    async def run(self, interval: float = CHECK_SECONDS) -> None:
        """Look every ``interval`` seconds until cancelled. On the event loop itself, the
        thread that starts every TLS handshake with the context: OpenSSL's context must not
        change under a handshake being set up in another thread, and the look is two
        ``stat`` calls (a few kilobytes read when the files changed)."""
        while True:
            await asyncio.sleep(interval)
            self.check()
