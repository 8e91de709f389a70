"""The ``qms`` command: ``qms server``, ``qms demo``, ``qms hash-password``.

The only place that configures logging and reads the environment; everything below gets
frozen settings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from server.config import ConfigError, Settings, load_settings
from server.config.settings import LOCAL_HOST_NAMES
from server.logs import configure_logging
from server.ops.commands import COMMANDS as OPERATIONS
from server.ops.commands import add_commands as add_operations
from server.ops.commands import run as run_operation

# The store's errors module, not its database module: `qms kiosk` on a kiosk's install (no
# SQLAlchemy there) imports this module too.
from server.store.errors import StoreError

if TYPE_CHECKING:
    from server.app.serve import RunningServer

logger = logging.getLogger("qms")

ADMIN_TOKEN_VARIABLE = "QMS_ADMIN_TOKEN"
# Each app parses its own options in its own package: ``<module>.main(argv) -> int``.
APPS = {
    "kiosk": "run a touch kiosk that prints tickets",
    "counter": "run an officer's counter terminal",
    "display": "run a lobby display",
    "bridge": "join the serial bus of keypads, LED boards and rating pads to the server",
    "report": "write a report (XLSX or CSV) from the database, while the server runs or not",
    "config": "export the configuration as TOML, or import one (used at the next start)",
    "audit": "export the audit log (who did what, from where, when) as CSV",
}
APP_MODULES = {"kiosk": "kiosk.main", "counter": "counter.main", "display": "display.main",
               "bridge": "hardware.bridge.main", "report": "server.reports.command",
               "config": "server.ops.configuration", "audit": "server.audit.command"}
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::"})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qms", description="Hệ thống xếp hàng tự động — automatic queueing system")
    commands = parser.add_subparsers(dest="command", required=True)

    server = commands.add_parser("server", help="run the queue server")
    _server_options(server)

    demo = commands.add_parser("demo", help="run the whole system on the demo configuration")
    _server_options(demo)
    demo.add_argument("--check", action="store_true",
                      help="start, issue and call one ticket, print it, and exit")

    for name, help_text in APPS.items():
        app = commands.add_parser(name, help=help_text, add_help=False)
        app.add_argument("arguments", nargs=argparse.REMAINDER,
                         help=f"the {name}'s own options (qms {name} --help)")

    hashing = commands.add_parser("hash-password",
                                  help="print the hash of a password for the config file")
    hashing.add_argument("password", nargs="?", help="asked for when left out")
    # install-service, uninstall-service, migrate, backup, restore (server/ops).
    add_operations(commands)
    return parser


def _server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path,
                        help="the centre's TOML file (required for `server`; `demo` uses the "
                             "demo configuration)")
    parser.add_argument("--db", help="database URL (default: SQLite in the data directory)")
    parser.add_argument("--host", help="address to listen on (default: from the config)")
    parser.add_argument("--port", type=int, help="port (default: from the config)")
    parser.add_argument("--data-dir", type=Path, help="data directory (default: from the config)")
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in APPS:
        # Each app parses its own options; argparse would swallow the leading ones.
        import importlib

        module = importlib.import_module(APP_MODULES[argv[0]])
        result: int = module.main(argv[1:])
        return result
    arguments = build_parser().parse_args(argv)
    if arguments.command == "hash-password":
        return _hash_password(arguments.password)
    if arguments.command in OPERATIONS:
        return run_operation(arguments)
    # The journal under systemd, else stderr; the log file once the data directory is known.
    configure_logging(arguments.command, arguments.log_level)
    # uvicorn logs every WebSocket open and close at INFO: noise with hundreds of displays.
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
    try:
        settings = _settings(arguments)
    except ConfigError as error:
        print(f"qms: configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(arguments.command, arguments.log_level, settings.server.data_dir / "logs")
    try:
        if arguments.command == "demo":
            from server.demo import run_demo

            return asyncio.run(run_demo(settings, arguments.db, check=arguments.check))
        return asyncio.run(_serve(settings, arguments.db))
    except StoreError as error:
        print(f"qms: database error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


def _hash_password(password: str | None) -> int:
    from server.security import hash_password

    if password is None:
        password = getpass.getpass("Mật khẩu / password: ")
    if len(password) < 8:
        print("qms: a password needs at least 8 characters", file=sys.stderr)
        return 2
    print(hash_password(password))
    return 0


def _settings(arguments: argparse.Namespace) -> Settings:
    from server.config.loader import ensure_secret

    if arguments.command == "server" and arguments.config is None:
        # The demo configuration's secret and tokens are published: a server must never
        # fall back to them without saying so. `qms demo` is the way to run it.
        raise ConfigError("--config", "is required: the centre's configuration file "
                                      "(`qms demo` runs the demo configuration)")
    settings = load_settings(arguments.config)
    server = settings.server
    if arguments.data_dir is not None:
        server = replace(server, data_dir=arguments.data_dir)
    if arguments.host is not None:
        server = replace(server, host=arguments.host)
    if arguments.port is not None:
        server = replace(server, port=arguments.port)
    if (arguments.command == "server" and server.host in WILDCARD_HOSTS
            and urlsplit(server.public_url).hostname in LOCAL_HOST_NAMES):
        # Reachable from the hall's network, but the tickets' QR codes would point phones at
        # the machine itself. (The demo names this machine's LAN address itself.)
        raise ConfigError("server.public_url", f"is required when serving on {server.host} "
                                               "(tickets' QR codes need an address phones "
                                               "can reach)")
    extra_token = os.environ.get(ADMIN_TOKEN_VARIABLE, "")
    if extra_token:
        if len(extra_token) < 12:
            raise ConfigError(ADMIN_TOKEN_VARIABLE, "must be at least 12 characters")
        server = replace(server, admin_tokens=(*server.admin_tokens, extra_token))
    settings = replace(settings, server=server)
    if arguments.command == "server":
        _refuse_published_secrets(settings)
    return ensure_secret(settings, server.data_dir)


def _refuse_published_secrets(settings: Settings) -> None:
    """Refuse the demo configuration's secret, tokens and password hashes on a server others
    can reach.

    They are printed in the README and the demo file: anyone could issue, rate, act as the
    bridge or sign in with them. On 127.0.0.1 only (trying a copy of the demo file) they are
    let be.
    """
    if settings.server.host in LOOPBACK_HOSTS:
        return
    demo = load_settings(None)
    published = {demo.server.secret, *demo.server.admin_tokens,
                 *(token.token for site in demo.sites for token in site.tokens)}
    found = [("server.secret", settings.server.secret)]
    found += [(f"server.admin_tokens[{index}]", token)
              for index, token in enumerate(settings.server.admin_tokens)]
    found += [(f"sites[{site_index}].tokens[{index}].token", token.token)
              for site_index, site in enumerate(settings.sites)
              for index, token in enumerate(site.tokens)]
    # Officers' and managers' demo passwords (demo1234) are published as much as the tokens.
    published |= {item.password_hash for site in demo.sites for item in site.officers}
    published |= {item.password_hash for item in demo.accounts}
    found += [(f"sites[{site_index}].officers[{index}].password_hash", item.password_hash)
              for site_index, site in enumerate(settings.sites)
              for index, item in enumerate(site.officers)]
    found += [(f"accounts[{index}].password_hash", item.password_hash)
              for index, item in enumerate(settings.accounts)]
    for key, value in found:
        if value in published:
            remedy = ("set a new password (qms hash-password)" if key.endswith("password_hash")
                      else "make a new one (python -c \"import secrets; "
                           "print(secrets.token_urlsafe(24))\")")
            raise ConfigError(key, f"is the demo's published value, which anyone can read; "
                                   f"{remedy}, or listen on 127.0.0.1 only (not "
                                   f"{settings.server.host!r})")


async def _serve(settings: Settings, database_url: str | None) -> int:
    from server.app.garbage import GarbageKeeper, tune_garbage_collector
    from server.app.serve import start_server

    running = await start_server(settings, database_url=database_url)
    tune_garbage_collector()
    # Supervised like the server's other tasks: it ending is a failure, said and restarted.
    keeper = asyncio.get_running_loop().create_task(
        GarbageKeeper(running.service.clock).run(), name="garbage")
    running.service.supervise(keeper)
    failure = await wait_for_stop(running)
    keeper.cancel()
    logger.info("stopping")
    await running.stop()
    if failure is not None:
        print(f"qms: stopped: {failure}; start the server again (a service manager does)",
              file=sys.stderr)
        return 1
    return 0


async def wait_for_stop(running: RunningServer) -> str | None:
    """Wait for SIGINT/SIGTERM (returns ``None``) or for the server to fail (returns why)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        # Windows has no add_signal_handler; Ctrl+C then arrives as KeyboardInterrupt.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signal_number, stop.set)
    stopped = loop.create_task(stop.wait())
    failed = running.service.failed
    assert failed is not None  # set when the service started
    await asyncio.wait((stopped, failed), return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    return failed.result() if failed.done() else None


if __name__ == "__main__":
    raise SystemExit(main())
