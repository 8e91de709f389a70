"""A pseudo-terminal pair for emulated devices: the emulator serves the pty's master side and
the bus master opens the slave path with ``serial.serial_for_url`` like a real serial port.
POSIX only (``os.openpty``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .errors import PortError
from .port import DEFAULT_READ_TIMEOUT_SECONDS, FileDescriptorPort


@dataclass
class PtyPair:
    """An open pty. ``slave_path`` (e.g. ``/dev/pts/3``) is what the bus master opens.

    The slave descriptor stays open (in raw mode) for the pair's lifetime so the master side
    keeps working while the bus master reopens the path. Close with :meth:`close`.
    """

    master_descriptor: int
    slave_descriptor: int
    slave_path: str
    _closed: bool = field(default=False, repr=False)

    def device_port(self, read_timeout: float = DEFAULT_READ_TIMEOUT_SECONDS) -> FileDescriptorPort:
        """A BusPort on the master side for the emulator (the pair keeps owning the descriptor)."""
        return FileDescriptorPort(self.master_descriptor, read_timeout=read_timeout)

    def close(self) -> None:
        """Close both descriptors; closing twice is allowed."""
        if not self._closed:
            self._closed = True
            os.close(self.master_descriptor)
            os.close(self.slave_descriptor)

    def __enter__(self) -> PtyPair:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_pty_pair() -> PtyPair:
    """Create a pty in raw mode (no echo, no line editing); raise PortError if impossible."""
    import tty  # POSIX only: imported here so that importing this module works everywhere

    try:
        master_descriptor, slave_descriptor = os.openpty()
    except (OSError, AttributeError) as error:
        raise PortError(f"cannot create a pseudo-terminal: {error}") from error
    try:
        tty.setraw(slave_descriptor)
        slave_path = os.ttyname(slave_descriptor)
    except OSError as error:
        os.close(master_descriptor)
        os.close(slave_descriptor)
        raise PortError(f"cannot configure the pseudo-terminal: {error}") from error
    return PtyPair(master_descriptor, slave_descriptor, slave_path)
