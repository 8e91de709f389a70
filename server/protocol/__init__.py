"""The wire protocol (version 1) and the asyncio client every app and test uses.

``messages`` defines every frame; ``client`` is the asyncio ``ProtocolClient``; ``supervisor``
keeps one connected on a thread for an app (reconnect, back-off, resume, ping). Importable
without the server's database or web stack.
"""

from server.protocol.messages import (
    MAX_FRAME_BYTES,
    PROTOCOL_VERSION,
    ErrorCode,
    ProtocolError,
    decode_request,
    encode_request,
)

__all__ = [
    "MAX_FRAME_BYTES",
    "PROTOCOL_VERSION",
    "ErrorCode",
    "ProtocolError",
    "decode_request",
    "encode_request",
]
