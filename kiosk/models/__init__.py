"""Qt-free kiosk models: the menu built from the server's snapshot, the screen state
machine, the texts in Vietnamese and English, and the ticket to print.

Nothing here imports PySide6, opens a socket or reads the clock: time comes in as an
injected function, so every rule is tested without Qt, a server or a printer.
"""
