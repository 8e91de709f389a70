"""The demo's child processes: kiosk, bus emulator, bridge, counter terminal, lobby display.

Each runs as ``python -m <module> <arguments>`` with its output in ``<data dir>/logs``. The
bus emulator's console is joined to the demo's own terminal: lines typed there press the
emulated keypad and rating pad, and what the emulated LED board shows is printed back, so a
newcomer can call numbers "by hardware" without any. The rating pad's keys are labelled from
the demo's device map read against the site's rating scale, the same mapping the bridge uses.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import IO, TextIO

from hardware.bridge.device_map import (
    DeviceKind,
    ScaleStep,
    load_device_map,
    pad_key_steps,
)
from hardware.bridge.errors import MapFileError
from server.app.serve import RunningServer
from server.config.settings import Role, Settings, SiteSettings

logger = logging.getLogger(__name__)

CONSOLE_PREFIX = "  [thiết bị / bus] "
CONSOLE_HELP_TITLE = ("Emulated keypad and rating pad of counter Q01: type a letter here, "
                      "then press Enter —")
_STOP_SECONDS = 10.0


def console_help(pad_labels: Sequence[str], problem: str = "") -> str:
    """What the demo's terminal says about the emulated keypad and rating pad: the keys, and
    which label each pad key gives (``pad_labels``, key 1 first), or why the pad is unused."""
    if pad_labels:
        pad = ["    rating pad, lit for a while after f — type a key's number:",
               *(f"      {key} = {label}" for key, label in enumerate(pad_labels, start=1))]
    else:
        pad = [f"    rating pad: not used ({problem})"]
    return "\n".join([
        CONSOLE_HELP_TITLE,
        "    n next · r recall · s start · x no-show · f finish · c 1005 call a number ·",
        "    t SERVICE transfer · p pause · u resume · ? help",
        *pad,
    ])


def demo_pad_labels(site: SiteSettings, map_path: Path) -> tuple[str, ...]:
    """The label of each key of the first rating pad in the map at ``map_path``, key 1 first,
    as the bridge reads the map against ``site``'s scale (``"Rất hài lòng / Very satisfied"``).

    Raises :class:`MapFileError` when the map cannot be read or its pad's keys do not fit the
    scale (the bridge then leaves the pad unused and logs the same reason).
    """
    device_map = load_device_map(map_path)
    pad = next((device for device in device_map.devices
                if device.kind is DeviceKind.RATING_PAD), None)
    if pad is None:
        raise MapFileError(f"{map_path}: no rating_pad in the map")
    scale = tuple(ScaleStep(item.score, item.label_vi, item.label_en)
                  for item in site.rating_scale)
    steps = pad_key_steps(pad.keys, scale, device_map.entry_name(pad))
    return tuple(f"{step.label} / {step.label_en}" if step.label_en else step.label
                 for step in steps)


@dataclass(frozen=True)
class DemoApp:
    """One child process of the demo.

    ``module`` is run as ``python -m module arguments``; ``needs_screen``: it opens a window;
    ``console``: its standard input and output are joined to the demo's terminal, which then
    shows ``console_help``.
    """

    name: str
    arguments: tuple[str, ...]
    needs_screen: bool = True
    module: str = "server.cli"
    console: bool = False
    console_help: str = ""


@dataclass
class RunningApp:
    """A started child process and where its output goes."""

    app: DemoApp
    process: subprocess.Popen[bytes]
    log_path: Path
    reported_exit: bool = False


def token_of(site: SiteSettings, role: Role) -> str | None:
    """The first device token of ``role`` in the site's config."""
    return next((item.token for item in site.tokens if item.role is role), None)


def tickets_directory(data_dir: Path) -> Path:
    """Where the demo kiosk's virtual printer writes ``job-NNNNNN.png``."""
    return (data_dir / "tickets").resolve()


# Where the windows go on a 1920x1080 screen without a window manager to place them (else
# they all open at 0,0 over each other): kiosk, counter terminal and lobby display in three
# quarters, the demo's terminal in the fourth.
WINDOW_SIZE = "960x540"
KIOSK_AT, COUNTER_AT, DISPLAY_AT = "0,0", "960,0", "0,540"


def announcements_directory(data_dir: Path) -> Path:
    """Where the demo's display writes each announcement as a WAV when there is no speaker."""
    return (data_dir / "announcements").resolve()


def demo_apps(settings: Settings, running: RunningServer,
              audio_folder: Path | None = None) -> list[DemoApp]:
    """The apps the demo starts for the first site: a kiosk, the bus emulator and bridge for
    counter Q01, that counter's terminal, and a lobby display for the first zone (writing its
    announcements to ``audio_folder`` when one is given: no speaker here)."""
    site = settings.sites[0]
    kiosk_token = token_of(site, Role.KIOSK) or ""
    counter_token = token_of(site, Role.COUNTER) or ""
    display_token = token_of(site, Role.DISPLAY) or ""
    bridge_token = token_of(site, Role.BRIDGE) or ""  # none: "qms bridge: --token is required"
    bus_port = _free_port()
    device_map = Path(str(resources.files("hardware.bridge").joinpath("demo_map.toml")))
    try:
        pad_labels, problem = demo_pad_labels(site, device_map), ""
    except MapFileError as error:
        pad_labels, problem = (), str(error)
    label_options = tuple(option for label in pad_labels for option in ("--pad-label", label))
    return [
        # Tickets print to PNG files through the virtual printer.
        DemoApp("kiosk", ("kiosk", "--server", running.ws_url, "--token", kiosk_token,
                          "--site", site.code, "--printer",
                          "virtual://" + tickets_directory(settings.server.data_dir).as_posix(),
                          "--windowed", "--size", WINDOW_SIZE, "--position", KIOSK_AT)),
        # The serial bus with an emulated keypad, LED board and rating pad at counter Q01.
        DemoApp("bus-emulator", ("--listen", f"127.0.0.1:{bus_port}", *label_options),
                needs_screen=False, module="hardware.serial_bus.emulator", console=True,
                console_help=console_help(pad_labels, problem)),
        DemoApp("bridge", ("bridge", "--server", running.ws_url, "--token", bridge_token,
                           "--site", site.code, "--port", f"socket://127.0.0.1:{bus_port}",
                           "--map", str(device_map)), needs_screen=False),
        DemoApp("counter", ("counter", "--server", running.ws_url, "--token", counter_token,
                            "--site", site.code, "--counter", "Q01", "--windowed",
                            "--size", WINDOW_SIZE, "--position", COUNTER_AT)),
        DemoApp("display", ("display", "--server", running.ws_url, "--token", display_token,
                            "--site", site.code, "--zone", site.zones[0].code, "--windowed",
                            "--size", WINDOW_SIZE, "--position", DISPLAY_AT,
                            *(("--audio-folder", str(audio_folder)) if audio_folder else ()))),
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def has_screen() -> bool:
    """Whether windows can open here (a desktop session, Windows or macOS, or Qt told to draw
    offscreen)."""
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen" or sys.platform != "linux":
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class DemoApps:
    """Starts the demo's child processes, watches them, and stops them.

    ``terminal_in``/``terminal_out`` are the demo's own terminal, which the console app is
    joined to (lines in, lines out with :data:`CONSOLE_PREFIX`).
    """

    def __init__(self, data_dir: Path, terminal_in: TextIO, terminal_out: TextIO,
                 say: Callable[[str], None]) -> None:
        self.logs = data_dir / "logs"
        self.terminal_in = terminal_in
        self.terminal_out = terminal_out
        self.say = say
        self.running: list[RunningApp] = []

    def start(self, apps: Sequence[DemoApp]) -> None:
        """Start each app; one that needs a screen is skipped (and said so) without one."""
        screen = has_screen()
        self.logs.mkdir(parents=True, exist_ok=True)
        for app in apps:
            if app.needs_screen and not screen:
                self.say(f"  ({app.name}: no screen here (DISPLAY is not set), not started)")
                continue
            log_path = self.logs / f"{app.name}.log"
            log = log_path.open("ab")
            process = subprocess.Popen(
                [sys.executable, "-m", app.module, *app.arguments],
                stdout=subprocess.PIPE if app.console else log, stderr=subprocess.STDOUT,
                stdin=subprocess.PIPE if app.console else subprocess.DEVNULL)
            self.running.append(RunningApp(app, process, log_path))
            self.say(f"  started {app.name} (log: {log_path})")
            if app.console:
                self._join_console(process, log)
        for item in self.running:
            if item.app.console_help:
                self.say(item.app.console_help)

    def _join_console(self, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
        assert process.stdin is not None and process.stdout is not None
        child_in, child_out = process.stdin, process.stdout

        def forward_input() -> None:
            # Ends at the end of the demo's input; the child's pipe stays open, because the
            # emulator's console stops at end of input and the devices would go with it.
            for line in self.terminal_in:
                try:
                    child_in.write(line.encode())
                    child_in.flush()
                except (BrokenPipeError, ValueError):
                    return

        def relay_output() -> None:
            for raw in child_out:
                log.write(raw)
                log.flush()
                self.terminal_out.write(CONSOLE_PREFIX + raw.decode(errors="replace"))
                self.terminal_out.flush()

        threading.Thread(target=forward_input, name="demo-console-in", daemon=True).start()
        threading.Thread(target=relay_output, name="demo-console-out", daemon=True).start()

    async def watch(self) -> None:
        """Say once when a child ends by itself, with its exit status and last log line.

        Checks every second: cheap, and a window that could not open (a missing Qt system
        library, say) is otherwise a silent absence.
        """
        while True:
            await asyncio.sleep(1.0)
            for item in self.running:
                status = item.process.poll()
                if status is None or item.reported_exit:
                    continue
                item.reported_exit = True
                self.say(f"  {item.app.name} stopped (exit status {status}); "
                         f"last log line: {_last_line(item.log_path)!r}; log: {item.log_path}")

    async def stop(self) -> None:
        """Terminate every child, killing those that do not end within 10 s."""
        for item in self.running:
            if item.process.poll() is None:
                item.process.terminate()
        for item in self.running:
            try:
                await asyncio.to_thread(item.process.wait, _STOP_SECONDS)
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop in %.0f s; killed", item.app.name,
                               _STOP_SECONDS)
                item.process.kill()


def _last_line(path: Path) -> str:
    try:
        lines = path.read_text("utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1] if lines else ""
