"""Helpers of the display tests: a server on its own thread, a hand-moved clock, state builders.

Imported by the test modules of tests/display (conftest.py puts this folder on sys.path).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from server.app.serve import RunningServer, start_server
from server.config import Settings
from server.protocol.client import ProtocolClient
from support.servers import ADMIN_TOKEN, SITE

T = TypeVar("T")


class FakeClock:
    """A monotonic clock moved by hand (seconds)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ServerThread:
    """The real server on an asyncio loop in a thread; ``call`` runs a coroutine there.

    ``start_server(port)`` starts it (port 0 the first time; the same or another port later, on
    the same database), ``stop_server`` stops it, ``admin`` opens an admin client on its loop.
    """

    def __init__(self, settings: Settings, database_path: Path) -> None:
        self.settings = settings
        self.database_url = f"sqlite:///{database_path}"
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="test-server",
                                        daemon=True)
        self._thread.start()
        self.running: RunningServer | None = None
        self.port = 0
        self._clients: list[ProtocolClient] = []

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 15.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def start_server(self, port: int | None = None) -> RunningServer:
        """Start on ``port`` (default: the last one, or any free one the first time)."""
        chosen = self.port if port is None else port
        self.running = self.call(start_server(self.settings, host="127.0.0.1", port=chosen,
                                              database_url=self.database_url))
        self.port = self.running.port
        return self.running

    def stop_server(self) -> None:
        """Stop the server (its clients' connections close); the loop keeps running."""
        for client in self._clients:
            self.call(client.close())
        self._clients.clear()
        if self.running is not None:
            self.call(self.running.stop())
            self.running = None

    def admin(self, token: str = ADMIN_TOKEN, site: str = SITE) -> Admin:
        """An admin client acting for counters (``as_counter``) on the running server."""
        client = ProtocolClient(self.ws_url, "admin", token, site)
        self.call(client.connect())
        self._clients.append(client)
        return Admin(self, client)

    def close(self) -> None:
        self.stop_server()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@dataclass
class Admin:
    """Counter actions through an admin connection, run on the server's thread."""

    server: ServerThread
    client: ProtocolClient
    opened: set[str] = field(default_factory=set)

    def request(self, request_type: str, **fields: Any) -> dict[str, Any]:
        return self.server.call(self.client.request(request_type, **fields))

    def open_counter(self, counter: str) -> None:
        if counter not in self.opened:
            self.request("login", counter=counter, as_counter=counter)
            self.opened.add(counter)

    def issue(self, service: str) -> str:
        """Issue a ticket; returns its number."""
        result = self.request("issue", service=service, request_key=str(uuid.uuid4()))
        number: str = result["ticket"]["number"]
        return number

    def call_next(self, counter: str) -> str:
        """Open the counter if needed and call its next ticket; returns the number."""
        self.open_counter(counter)
        number: str = self.request("call_next", as_counter=counter)["ticket"]["number"]
        return number

    def recall(self, counter: str) -> None:
        self.request("recall", as_counter=counter)


# --- wire objects for the board's unit tests -------------------------------------------------


def ticket(number: str, service: str = "HT", *, counter: str | None = None,
           status: str = "waiting", target_counter: str | None = None) -> dict[str, Any]:
    """A ticket object as the server sends it (the fields the board reads, and a few more)."""
    names = {"HT": ("Đăng ký khai sinh", "Birth registration"),
             "DD-NOP": ("Nộp hồ sơ đất đai", ""), "DD-TRA": ("Nhận kết quả đất đai", "")}
    name, name_en = names.get(service, (service, ""))
    return {"id": f"{SITE}:20261122:{number}", "number": number, "service": service,
            "service_name": name, "service_name_en": name_en, "status": status,
            "counter": counter, "counter_name": f"Quầy {counter}" if counter else None,
            "target_counter": target_counter, "call_count": 1 if counter else 0}


def counter(code: str, zone: str = "T1", *, services: tuple[str, ...] = ("HT",),
            status: str = "open", number: str | None = None) -> dict[str, Any]:
    return {"code": code, "name": f"Quầy {code}", "zone": zone, "services": list(services),
            "status": status, "officer": None,
            "ticket": None if number is None else ticket(number, counter=code, status="called")}


def state(*, counters: list[dict[str, Any]] | None = None,
          waiting: dict[str, int] | None = None,
          recent: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A snapshot ``state``: site hcc-test, zones T1 and T2, services HT, DD-NOP, DD-TRA."""
    waiting = waiting or {}
    return {
        "site": {"code": SITE, "name": "Trung tâm thử nghiệm", "name_en": "Test centre",
                 "notice": "Xin chào", "timezone": "Asia/Ho_Chi_Minh",
                 "business_date": "2026-11-22"},
        "zones": [{"code": "T1", "name": "Tầng 1", "name_en": "Floor 1"},
                  {"code": "T2", "name": "Tầng 2", "name_en": "Floor 2"}],
        "services": [{"code": code, "name": name, "name_en": "", "waiting": waiting.get(code, 0),
                      "eta_minutes": None}
                     for code, name in (("HT", "Đăng ký khai sinh"),
                                        ("DD-NOP", "Nộp hồ sơ đất đai"),
                                        ("DD-TRA", "Nhận kết quả đất đai"))],
        "counters": counters if counters is not None else [
            counter("1", services=("DD-NOP", "DD-TRA")), counter("2", services=("HT", "DD-TRA")),
            counter("3"), counter("4", zone="T2")],
        "recent_calls": recent or [],
    }
