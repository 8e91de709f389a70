"""Queue server: domain rules, persistence, the WebSocket/HTTP adapters and reports.

Importing this package is cheap: it pulls in neither the database nor the web stack, so the
apps can import :mod:`server.protocol` without the server's dependencies being loaded.
"""

__version__ = "0.1.0"
SERVER_NAME = "qms"
