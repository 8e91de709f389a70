"""Set-up and run, with nothing but Python 3.11+ on the machine (Linux or Windows).

    python3 scripts/dev.py demo   # create .venv, install, run the whole system on the demo config
    python3 scripts/dev.py test   # create .venv, install with test tools, lint, type-check, test

Uses only the standard library, so it runs before anything is installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"


def venv_python() -> Path:
    scripts = VENV / ("Scripts" if os.name == "nt" else "bin")
    return scripts / ("python.exe" if os.name == "nt" else "python")


def run(*command: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], cwd=ROOT, check=True, env=env)


@contextmanager
def ctrl_c_left_to_the_child() -> Iterator[None]:
    """While the block runs, Ctrl+C does nothing in this process.

    The terminal sends Ctrl+C (SIGINT) to every process in the foreground group: to the
    program started here as well as to this script. The program stops by itself on it (the
    demo stops its apps and its server, which takes a few seconds); this script only waits for
    that and passes the program's exit status on. Left to Python, it would raise
    KeyboardInterrupt: ``subprocess.run`` then kills the program after 0.25 s and a traceback
    is printed. A handler that does nothing, rather than SIG_IGN, is not inherited by the
    program (exec resets handlers, not ignored signals).
    """
    previous = signal.signal(signal.SIGINT, lambda *_arguments: None)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_program(*command: str | Path) -> int:
    """Run a long-lived program (the demo) in the foreground until it ends, Ctrl+C included;
    returns its exit status."""
    print("+", " ".join(str(part) for part in command), flush=True)
    with ctrl_c_left_to_the_child():
        return subprocess.run([str(part) for part in command], cwd=ROOT).returncode


def install(extras: str) -> Path:
    if not venv_python().exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    python = venv_python()
    run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(python, "-m", "pip", "install", "--quiet", "--editable", f".{extras}")
    return python


def install_system_packages() -> None:
    """Debian packages the tests drive (headless Chromium for the web display)."""
    wanted = {"chromium": "/usr/bin/chromium"}
    missing = [name for name, path in wanted.items() if not Path(path).exists()]
    if not missing:
        return
    if os.name == "nt" or shutil.which("apt-get") is None or os.geteuid() != 0:
        print(f"note: install {', '.join(missing)} for the browser tests", flush=True)
        return
    run("apt-get", "update", "-qq")
    run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing)


# Qt's xcb window plugin (Qt 6.5+) loads these at start; a minimal desktop may lack some.
# library name (for ctypes.util.find_library) -> Debian package
QT_XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xkbcommon-x11": "libxkbcommon-x11-0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-image": "libxcb-image0",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-shape": "libxcb-shape0",
    "EGL": "libegl1",
    "GL": "libgl1",
}


def install_window_libraries() -> None:
    """On Linux with an X display, the system libraries Qt's windows need (Debian names)."""
    if not sys.platform.startswith("linux") or not os.environ.get("DISPLAY"):
        return
    import ctypes.util

    missing = [package for library, package in QT_XCB_LIBRARIES.items()
               if ctypes.util.find_library(library) is None]
    if not missing:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        print(f"note: the demo's windows need these system packages: {' '.join(missing)} "
              f"(Debian/Ubuntu: sudo apt-get install {' '.join(missing)})", flush=True)
        return
    run("apt-get", "update", "-qq")
    run("apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing)


def main(argv: list[str]) -> int:
    if len(argv) < 1 or argv[0] not in {"demo", "test"}:
        print(__doc__)
        return 2
    if argv[0] == "demo":
        python = install("[all]")  # every role: the demo runs them all
        install_window_libraries()
        return run_program(python, "-m", "server.cli", "demo", *argv[1:])
    python = install("[all,test]")
    install_system_packages()
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run(python, "-m", "ruff", "check", ".", env=environment)
    run(python, "-m", "mypy", env=environment)
    run(python, "-m", "pytest", "-q", *parallel(argv[1:]), *argv[1:], env=environment)
    return 0


def parallel(arguments: list[str]) -> list[str]:
    """pytest-xdist's options: one test worker per core (each test has its own temporary
    folder, ports and databases, so they run side by side), unless the arguments choose."""
    chosen = any(argument.startswith(("-n", "--numprocesses")) or argument.endswith("no:xdist")
                 for argument in arguments)
    return [] if chosen else ["-n", "auto"]


if __name__ == "__main__":
    try:
        raise SystemExit(main(sys.argv[1:]))
    except subprocess.CalledProcessError as error:
        raise SystemExit(error.returncode) from None
    except KeyboardInterrupt:  # Ctrl+C while installing: pip has stopped too
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
