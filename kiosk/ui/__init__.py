"""The kiosk's PySide6 widgets: the only part of :mod:`kiosk` that imports Qt.

The widgets draw what :class:`kiosk.models.screens.KioskModel` says and pass touches to
:class:`kiosk.controller.KioskController`; they hold no queue state of their own.
"""
