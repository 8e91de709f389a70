"""The WebSocket protocol the server runs under uvicorn.

uvicorn's ``websockets-sansio`` protocol pauses a connection's reading after every message
and resumes it when the application takes that message: two epoll changes and their selector
bookkeeping per request, about 5 % of the server's time per ticket at 1,000 tickets/s
(cProfile on bench/server_bench.py). Here reading pauses only once :attr:`READ_AHEAD`
messages wait for the application. That still bounds what a client that floods can make the
server hold; the session's rate limit answers the flood itself.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol


class QueueWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O WebSocket protocol, reading ahead up to :attr:`READ_AHEAD`
    messages before it pauses the transport."""

    READ_AHEAD = 16

    def send_receive_event_to_app(self) -> None:
        if self.read_paused or self.queue.qsize() + 1 >= self.READ_AHEAD:
            super().send_receive_event_to_app()  # queues the message and pauses reading
            return
        # The parent pauses only a connection not already paused: saying it is makes it
        # queue the message and leave reading on. receive() then has nothing to resume.
        self.read_paused = True
        try:
            super().send_receive_event_to_app()
        finally:
            self.read_paused = False
