"""Counter terminal for officers (``qms counter``).

Qt-free parts: :mod:`counter.settings` (command line -> frozen settings), :mod:`counter.texts`
(Vietnamese/English wording and server errors in plain words), :mod:`counter.models` (the
screen's state from snapshot, events and replies) and :mod:`counter.connection` (the protocol
client in its own thread). Only :mod:`counter.ui` imports PySide6.
"""
