"""Adapters: the run time, the WebSocket session, the HTTP app and the server runner."""
