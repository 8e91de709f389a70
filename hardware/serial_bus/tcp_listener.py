"""A TCP listener for the emulator, so a bus master can open ``socket://host:port``.

Useful where there are no pseudo-terminals (Windows) or across machines.
"""

from __future__ import annotations

import socket

from .errors import PortError
from .port import DEFAULT_READ_TIMEOUT_SECONDS, SocketPort


class TcpListener:
    """Listens on ``host:port`` (port 0 picks a free port); :attr:`url` is for the bus master."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        try:
            self._socket = socket.create_server((host, port))
        except OSError as error:
            raise PortError(f"cannot listen on {host}:{port}: {error}") from error
        bound_host, bound_port = self._socket.getsockname()[:2]
        self._url = f"socket://{bound_host}:{bound_port}"

    @property
    def url(self) -> str:
        """The pyserial URL that connects to this listener."""
        return self._url

    def accept(
        self, timeout: float | None = None, read_timeout: float = DEFAULT_READ_TIMEOUT_SECONDS
    ) -> SocketPort:
        """Wait up to ``timeout`` seconds (None: forever) for the master; raise PortError."""
        self._socket.settimeout(timeout)
        try:
            connection, _ = self._socket.accept()
        except OSError as error:
            raise PortError(f"no bus master connected to {self._url}: {error}") from error
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return SocketPort(connection, read_timeout=read_timeout)

    def close(self) -> None:
        """Stop listening (connections already accepted stay open)."""
        self._socket.close()

    def __enter__(self) -> TcpListener:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
