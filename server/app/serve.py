"""Start and stop the whole server in the running event loop (the CLI and tests use this)."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from server.app.certificate_reload import CertificateReloader
from server.app.http import create_app
from server.app.http_guard import RequestDeadlines, guarded_protocol, with_deadlines
from server.app.runtime import Clock, QueueService
from server.config.settings import LOCAL_HOST_NAMES, ServerSettings, Settings
from server.config.tls import server_context
from server.store.database import Engines, describe_database, migrate, open_engines
from server.store.repository import Repository

logger = logging.getLogger(__name__)

# uvicorn drops a connection outright past this; frames between the protocol limit and this
# get a readable bad_request instead, which helps whoever is debugging a client.
TRANSPORT_FRAME_LIMIT = 1024 * 1024


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class RunningServer:
    """A started server; ``port`` is the real one when 0 was asked for."""

    host: str
    port: int
    service: QueueService
    engines: Engines
    _uvicorn: uvicorn.Server
    _task: asyncio.Task[None]
    _socket: socket.socket
    tls: bool = False
    """Listening with TLS: ``https://`` and ``wss://``."""
    certificates: CertificateReloader | None = None
    """Over TLS: what takes a renewed certificate up (server.app.certificate_reload)."""
    _reloading: asyncio.Task[None] | None = None

    @property
    def http_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def ws_url(self) -> str:
        scheme, rest = self.http_url.split("://", 1)
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ws"

    async def stop(self) -> None:
        """Close connections, commit what is queued, release the database."""
        self._uvicorn.should_exit = True
        if self._reloading is not None:
            self._reloading.cancel()
        await self._task
        await self._uvicorn.shutdown(sockets=[self._socket])
        await self.service.stop()
        self.engines.dispose()


def effective_public_url(public_url: str, port: int) -> str:
    """``public_url`` with ``port`` when it names this machine itself (the default
    ``http://127.0.0.1:8765``, say) and the server listens elsewhere (``--port``, or port 0 in
    tests): the status page behind each ticket's QR must be where the server really is. A
    public URL naming another host (a proxy, the hall's address) is left as configured."""
    parts = urlsplit(public_url)
    if parts.hostname not in LOCAL_HOST_NAMES or parts.port == port:
        return public_url
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    return urlunsplit((parts.scheme, f"{host}:{port}", parts.path, parts.query,
                       parts.fragment))


async def start_server(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    database_url: str | None = None,
    clock: Clock = system_clock,
    websocket_implementation: str | type[asyncio.Protocol] = "websockets-sansio",
) -> RunningServer:
    """Migrate the database, load the sites and listen; returns once accepting connections.

    ``websocket_implementation`` is uvicorn's ``ws`` setting. The default (uvicorn's
    ``websockets-sansio``) is one whose connections :mod:`server.app.frames` writes to
    directly; any other (``"websockets"``, uvicorn's older implementation) works through
    plain ASGI sends, at more cost per frame.
    """
    server_settings = settings.server
    # Read before anything starts: a certificate replaced by a broken one since the settings
    # were loaded stops here, with the settings' own reason.
    tls_context = _tls_context(server_settings)
    url = database_url or server_settings.resolved_database_url()
    engines = open_engines(url)
    await asyncio.to_thread(migrate, engines)
    # Bound before the sites load, so a local public URL can carry the port really used.
    bind_host = host or server_settings.host
    family = socket.AF_INET6 if ":" in bind_host else socket.AF_INET
    # IPPROTO_TCP named, so asyncio sets TCP_NODELAY on every accepted connection: without it
    # a reply written just after an event waited ~40 ms for the peer's delayed ACK (Nagle).
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((bind_host, server_settings.port if port is None else port))
    server_settings = replace(server_settings, public_url=effective_public_url(
        server_settings.public_url, listener.getsockname()[1]))
    service = QueueService(server_settings, settings.sites, Repository(engines), clock,
                           settings.accounts)
    try:
        await service.start(settings)
    except BaseException:
        listener.close()
        raise
    deadlines = RequestDeadlines(server_settings.http_request_timeout_seconds)
    app = with_deadlines(create_app(service, engines.writer.dialect.name), deadlines)
    config = uvicorn.Config(
        app,
        http=guarded_protocol(AutoHTTPProtocol, deadlines),
        ws=websocket_implementation,
        ws_max_size=TRANSPORT_FRAME_LIMIT,
        ws_per_message_deflate=False,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        lifespan="off",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
        ssl_context_factory=(None if tls_context is None
                             else lambda _config, _default: tls_context),
    )
    config.load()
    listener.listen(1024)
    listener.setblocking(False)
    web = uvicorn.Server(config)
    web.lifespan = config.lifespan_class(config)
    await web.startup(sockets=[listener])
    task = asyncio.get_running_loop().create_task(web.main_loop(), name="uvicorn")
    running = RunningServer(bind_host, listener.getsockname()[1], service, engines, web, task,
                            listener, tls=tls_context is not None)
    if tls_context is not None:
        assert server_settings.tls_certificate is not None and server_settings.tls_key is not None
        running.certificates = CertificateReloader(
            tls_context, server_settings.tls_certificate, server_settings.tls_key,
            server_settings.tls_minimum_version)
        running._reloading = asyncio.get_running_loop().create_task(
            running.certificates.run(), name="certificate-reload")
        service.supervise(running._reloading)
    logger.info("listening on %s (WebSocket %s), database %s", running.http_url,
                running.ws_url, describe_database(url))
    return running


def _tls_context(server: ServerSettings) -> ssl.SSLContext | None:
    """The context the port listens with, or None for plain HTTP; raises ConfigError."""
    if server.tls_certificate is None or server.tls_key is None:
        return None
    return server_context(server.tls_certificate, server.tls_key, server.tls_minimum_version)
