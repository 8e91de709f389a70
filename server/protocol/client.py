"""The asyncio protocol client every app, bench and test uses.

``ProtocolClient`` opens one connection, says ``hello``, matches replies to requests by ``id``
and puts events on a queue in the order they arrive. It does not reconnect by itself:
:meth:`ProtocolClient.reconnect` opens a new connection and resumes from the last event seen,
so the caller decides when. The apps do not call it themselves: each runs its client under a
:class:`~server.protocol.supervisor.ClientSupervisor`, which reconnects, resumes and pings.

A deployment may run several server processes, each serving some of the sites. A client is
given one address or several (a list, or one text with commas), and :meth:`connect` finds the
process that serves its site by itself: it tries first the address that served last, follows
a ``moved`` answer to the owner's address, and after a failed connection (or a ``moved`` that
names no owner yet) tries the next address. With one address and no ``moved``, it behaves as
it always did.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import ssl
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from server.protocol.messages import PROTOCOL_VERSION, ErrorCode, encode_request
from server.protocol.tls import CaFileError, client_context, explain_failure

logger = logging.getLogger(__name__)

# ``moved`` answers followed in one :meth:`ProtocolClient.connect` (a loop between
# misconfigured processes ends there).
MAX_REDIRECTS = 4
# With several addresses, one that does not answer is given up after this long (a machine
# that is gone answers nothing at all), so the next is tried soon.
FAILOVER_OPEN_TIMEOUT = 3.0


class ClientError(Exception):
    """Base of the client's errors."""


class RequestFailed(ClientError):
    """The server answered ``ok:false``; ``code`` is the wire error code; ``url``: with
    ``moved``, the address of the server process that serves the site (when known)."""

    def __init__(self, code: str, message: str, url: str | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.url = url


class ConnectionLost(ClientError):
    """The connection closed before the reply came."""


class SiteMoved(ConnectionLost):
    """No address tried serves the site now: each answered ``moved`` (the site is being
    taken over by another server process) or could not be reached. Retried like a lost
    connection; ``url``: the owner named last, if any."""

    def __init__(self, message: str, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


def server_urls(url: str | Sequence[str]) -> tuple[str, ...]:
    """The addresses in ``url``: one, several separated by commas, or a list of those; in
    order, each once. Raises ``ValueError`` when there is none."""
    texts = [url] if isinstance(url, str) else list(url)
    found: list[str] = []
    for text in texts:
        for item in text.split(","):
            item = item.strip()
            if item and item not in found:
                found.append(item)
    if not found:
        raise ValueError("no server address given")
    return tuple(found)


class TlsFailed(ClientError):
    """A ``wss://`` connection could not be secured: the server's certificate is not trusted
    (which server, why: :func:`server.protocol.tls.explain_failure`), the server did not
    answer with TLS, or the CA file cannot be used. Never retried without verification."""


@dataclass(frozen=True, slots=True)
class EventMessage:
    """One ``event`` frame."""

    seq: int
    event: str
    at: str
    data: dict[str, Any]


class ProtocolClient:
    """One protocol connection. Use as ``async with ProtocolClient(...) as client``."""

    def __init__(
        self,
        url: str | Sequence[str],
        role: str,
        token: str,
        site: str | None,
        lang: str = "vi",
        subscribe: list[str] | None = None,
        open_timeout: float = 10.0,
        close_timeout: float = 2.0,
        version: str | None = None,
        ca_file: str | None = None,
    ) -> None:
        """``url``: the server's address, or several (a list, or one text with commas):
        the processes of one deployment, any of which may be asked (module docstring).

        ``ca_file``: a ``wss://`` server's certificate must come from the CA in this PEM
        file (a province's private CA); without it the system's trust store decides. It is
        not used for ``ws://``.

        ``open_timeout`` bounds opening the WebSocket (not the ``hello``); ``close_timeout``
        bounds the closing handshake, after which the connection is dropped: a live server
        answers within milliseconds, and a dead one would otherwise hold :meth:`close` for the
        websockets library's 10 s."""
        self.urls = server_urls(url)
        # The address tried first: the one that served last, or where ``moved`` pointed.
        self.url = self.urls[0]
        self.role = role
        self.token = token
        self.site = site
        self.lang = lang
        self.subscribe = subscribe
        self.open_timeout = open_timeout
        self.close_timeout = close_timeout
        # The app's version, said in hello (the administration's device list shows it).
        self.version = version
        self.ca_file = ca_file
        self.events: asyncio.Queue[EventMessage] = asyncio.Queue()
        self.last_seq = 0
        self.hello_result: dict[str, Any] = {}
        self._ids = itertools.count(1)
        self._waiting: dict[int | str, asyncio.Future[dict[str, Any]]] = {}
        self._connection: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()

    async def __aenter__(self) -> ProtocolClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self, after: int | None = None) -> dict[str, Any]:
        """Connect and say hello; with ``after``, events since then are replayed first.

        Returns the hello ``result`` (``state``, ``seq``, and ``replayed`` or ``gap``). Set
        :attr:`last_seq` to ``after`` first: events up to it are taken as seen and dropped.

        With several addresses, or when the server answers ``moved``, the process serving
        the site is looked for (module docstring); when none is found, the last failure is
        raised (a connection error, or :class:`SiteMoved`). Any other refusal of the hello
        (:class:`RequestFailed`) and :class:`TlsFailed` are raised at once.
        """
        # The address that served last (or that ``moved`` named) first, then the given ones.
        candidates = [self.url, *(url for url in self.urls if url != self.url)]
        choice = len(candidates) > 1
        tried: set[str] = set()
        redirects = 0
        failure: ClientError | OSError | TimeoutError | WebSocketException | None = None
        while candidates:
            url = candidates.pop(0)
            if url in tried:
                continue
            tried.add(url)
            several = choice or redirects > 0
            try:
                result = await self._connect_to(url, after, several)
            except RequestFailed as refusal:
                if refusal.code != ErrorCode.MOVED.value:
                    raise
                await self.close()
                failure = SiteMoved(refusal.message, refusal.url)
                if refusal.url is not None and redirects < MAX_REDIRECTS:
                    logger.info("%s: the site is served at %s", url, refusal.url)
                    redirects += 1
                    candidates.insert(0, refusal.url)
                continue
            except (OSError, TimeoutError, WebSocketException, ConnectionLost) as error:
                if not several:
                    raise
                await self.close()
                logger.info("%s: %s; trying the next address", url, error)
                failure = error
                continue
            self.url = url
            return result
        assert failure is not None
        raise failure

    async def _connect_to(self, url: str, after: int | None,
                          several: bool) -> dict[str, Any]:
        """One address: open the connection and say hello (:meth:`connect`)."""
        secure = url.lower().startswith("wss://")
        open_timeout = (min(self.open_timeout, FAILOVER_OPEN_TIMEOUT) if several
                        else self.open_timeout)
        try:
            # Read on a thread: the system's trust store is a file of a few hundred CAs.
            context = (await asyncio.to_thread(client_context, self.ca_file) if secure
                       else None)
            self._connection = await connect(url, open_timeout=open_timeout,
                                             close_timeout=self.close_timeout,
                                             max_size=2**22, compression=None, ssl=context)
        except CaFileError as error:
            raise TlsFailed(str(error)) from None
        except ssl.SSLError as error:
            raise TlsFailed(explain_failure(error, url, self.ca_file)) from error
        self.closed.clear()
        self._reader = asyncio.get_running_loop().create_task(self._read_loop())
        fields: dict[str, Any] = {"protocol": PROTOCOL_VERSION, "role": self.role,
                                  "token": self.token, "site": self.site, "lang": self.lang,
                                  "after": after, "subscribe": self.subscribe,
                                  "version": self.version}
        result = await self.request("hello", **fields)
        self.hello_result = result
        seq = int(result["seq"])
        # Without ``after`` (a fresh start) or with a gap, the snapshot is the truth: what
        # follows it is new. With ``after`` beyond the server's latest event, the server's
        # events were reset (a new database): its numbering starts over below what was seen,
        # and keeping the old mark would drop every new event as already seen.
        if after is None or result.get("gap") or seq < after:
            self.last_seq = seq
        return result

    async def reconnect(self) -> dict[str, Any]:
        """Open a fresh connection and resume after the last event seen."""
        await self.close()
        return await self.connect(after=self.last_seq)

    async def ping(self) -> None:
        """Send a WebSocket ping and wait for its pong: a liveness check that asks the server
        for nothing (its WebSocket layer answers). No timeout here: the caller bounds it.

        Raises ConnectionLost when not connected or the connection closes first.
        """
        connection = self._connection
        if connection is None:
            raise ConnectionLost("not connected")
        try:
            pong = await connection.ping()
            await pong
        except ConnectionClosed as error:
            raise ConnectionLost(f"connection closed: {error}") from error

    async def request(self, request_type: str, **fields: Any) -> dict[str, Any]:
        """Send one request and return its ``result``; raises :class:`RequestFailed`."""
        return await self.request_with_id(request_type, next(self._ids), **fields)

    async def request_with_id(self, request_type: str, request_id: int | str,
                              **fields: Any) -> dict[str, Any]:
        if self._connection is None:
            raise ConnectionLost("not connected")
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = future
        try:
            await self._connection.send(encode_request(request_type, request_id, **fields))
            return await future
        except ConnectionClosed as error:
            raise ConnectionLost(str(error)) from error
        finally:
            self._waiting.pop(request_id, None)
            # A send that failed because the connection closed: the read loop may already
            # have failed the future too. The caller is told once (above); the future's own
            # exception is taken here, or asyncio would log it as never retrieved.
            if future.done() and not future.cancelled():
                future.exception()
            else:
                future.cancel()

    async def send_raw(self, frame: str | bytes) -> None:
        """Send a frame as is (tests of bad input use this)."""
        if self._connection is None:
            raise ConnectionLost("not connected")
        await self._connection.send(frame)

    async def next_reply(self, request_id: int | str | None) -> dict[str, Any]:
        """Wait for the reply with ``request_id`` (``None``: a reply to an unreadable frame)."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[_key(request_id)] = future
        try:
            return await future
        finally:
            self._waiting.pop(_key(request_id), None)

    async def next_event(self, name: str | None = None, timeout: float = 10.0) -> EventMessage:
        """The next event (of ``name``, skipping others), waiting at most ``timeout``."""
        async with asyncio.timeout(timeout):
            while True:
                event = await self.events.get()
                if name is None or event.event == name:
                    return event

    async def iter_events(self) -> AsyncIterator[EventMessage]:
        while True:
            yield await self.events.get()

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
        if self._reader is not None:
            await self._reader
        self._connection = None
        self._reader = None

    @property
    def close_code(self) -> int | None:
        return None if self._connection is None else self._connection.close_code

    @property
    def close_reason(self) -> str | None:
        """Why the server closed the connection (its close frame's reason)."""
        return None if self._connection is None else self._connection.close_reason

    async def _read_loop(self) -> None:
        assert self._connection is not None
        try:
            async for frame in self._connection:
                self._receive(frame)
        except ConnectionClosed:
            pass
        finally:
            self.closed.set()
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(ConnectionLost("connection closed"))

    def _receive(self, frame: str | bytes) -> None:
        message = json.loads(frame)
        if message.get("type") == "event":
            seq = int(message["seq"])
            if seq <= self.last_seq:
                return  # already seen (a replay can overlap what came live)
            self.last_seq = seq
            self.events.put_nowait(EventMessage(seq, message["event"], message["at"],
                                                message["data"]))
            return
        future = self._waiting.get(_key(message.get("id")))
        if future is None or future.done():
            logger.debug("unmatched reply %s", message.get("id"))
            return
        if message.get("ok"):
            future.set_result(message.get("result") or {})
        else:
            error = message.get("error") or {}
            url = error.get("url")
            code = error.get("code", ErrorCode.INTERNAL.value)
            if code == ErrorCode.MOVED.value and isinstance(url, str) and url:
                self.url = url  # the next connection goes straight to the site's server
            future.set_exception(RequestFailed(code, error.get("message", ""),
                                               url if isinstance(url, str) and url else None))


def _key(request_id: Any) -> int | str:
    # ``None`` replies answer frames whose id could not be read; keep them under one key.
    return "\x00null" if request_id is None else request_id
