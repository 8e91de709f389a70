"""A TCP proxy that can stop forwarding: a hung server as a display sees it (test helper)."""

from __future__ import annotations

import contextlib
import socket
import threading


class HangingProxy:
    """A TCP proxy on 127.0.0.1 to ``target_port`` that can stop forwarding (``hang``).

    After ``hang()`` the connections stay open but nothing more gets through either way (what
    arrives is read and dropped): a hung server, or a network that silently swallows packets,
    as the display sees it. ``resume()`` forwards again. Each direction of each connection is
    pumped by its own thread with blocking reads; ``close`` shuts the sockets to end them.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._forwarding = threading.Event()
        self._forwarding.set()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self.connections = 0
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def http_url(self) -> str:
        """The server's pages through the proxy: a page loaded from here opens its WebSocket
        here too (the pages' Content-Security-Policy allows only their own origin)."""
        return f"http://127.0.0.1:{self.port}"

    def hang(self) -> None:
        self._forwarding.clear()

    def resume(self) -> None:
        self._forwarding.set()

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            for item in self._sockets:
                with contextlib.suppress(OSError):
                    item.shutdown(socket.SHUT_RDWR)
                item.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
                self.connections += 1
            for source, destination in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, destination),
                                 name="proxy-pump", daemon=True).start()

    def _pump(self, source: socket.socket, destination: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if self._forwarding.is_set():
                    destination.sendall(data)
        with contextlib.suppress(OSError):
            destination.shutdown(socket.SHUT_WR)
