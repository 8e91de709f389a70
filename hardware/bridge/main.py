"""``qms bridge``: the serial bus of keypads, LED boards and rating pads, joined to the server."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from hardware.bridge.bridge import Bridge
from hardware.bridge.errors import BridgeError
from hardware.bridge.settings import parse_settings
from server.logs import configure_logging
from server.protocol.enrolment_client import enrol_command


def main(argv: Sequence[str]) -> int:
    """Parse ``argv`` (the options after ``qms bridge``), run until Ctrl+C; returns the status."""
    enrolled = enrol_command("bridge", argv, os.environ)  # --enrol CODE: enrol, exit
    if enrolled is not None:
        return enrolled
    try:
        settings = parse_settings(argv, os.environ)
    except BridgeError as error:
        print(f"qms bridge: {error}", file=sys.stderr)
        return 2
    configure_logging("bridge", logging.INFO)  # the journal, or stderr and $QMS_LOG_DIR
    logger = logging.getLogger("qms.bridge")
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_arguments: stop.set())
    signal.signal(signal.SIGTERM, lambda *_arguments: stop.set())
    bridge = Bridge(settings)
    devices = ", ".join(f"0x{device.address:02X} {device.kind.value} {device.counter}"
                        for device in settings.device_map.devices)
    logger.info("bridge on %s for %s at %s: %s", settings.port_url,
                settings.site or "the token's site",
                settings.server_url, devices)
    bridge.start()
    try:
        stop.wait()
    finally:
        bridge.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
