"""PySide6 widgets of the counter terminal; the only part of :mod:`counter` that imports Qt."""
