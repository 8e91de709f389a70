"""CRC-16/MODBUS (poly 0x8005 reflected = 0xA001, init 0xFFFF, no final XOR).

Check value: ``crc16_modbus(b"123456789") == 0x4B37``. Sent low byte first.
"""

from __future__ import annotations

_POLYNOMIAL_REFLECTED = 0xA001
_INITIAL_VALUE = 0xFFFF


def _make_table() -> tuple[int, ...]:
    table = []
    for index in range(256):
        value = index
        for _ in range(8):
            value = (value >> 1) ^ _POLYNOMIAL_REFLECTED if value & 1 else value >> 1
        table.append(value)
    return tuple(table)


_TABLE = _make_table()


def crc16_modbus(data: bytes) -> int:
    """Return the CRC-16/MODBUS of ``data`` as an int in 0..0xFFFF."""
    crc = _INITIAL_VALUE
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc
