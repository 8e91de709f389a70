"""The server on PostgreSQL: concurrent issuing and a restart keep numbering exact."""

from __future__ import annotations

import asyncio

from support.databases import fresh_postgres_database
from support.servers import KIOSK_TOKEN, SITE

from server.app.serve import start_server
from server.config import Settings
from server.protocol.client import ProtocolClient


async def test_concurrent_kiosks_and_restart_on_postgresql(settings: Settings) -> None:
    with fresh_postgres_database() as url:
        first = await start_server(settings, host="127.0.0.1", port=0, database_url=url)
        try:
            kiosks = [ProtocolClient(first.ws_url, "kiosk", KIOSK_TOKEN, SITE) for _ in range(10)]
            await asyncio.gather(*(kiosk.connect() for kiosk in kiosks))

            async def press(index: int, kiosk: ProtocolClient) -> list[str]:
                return [(await kiosk.request("issue", service="HT",
                                             request_key=f"{index}-{press}"))["ticket"]["number"]
                        for press in range(20)]

            numbers = [number for batch in await asyncio.gather(
                *(press(index, kiosk) for index, kiosk in enumerate(kiosks))) for number in batch]
            await asyncio.gather(*(kiosk.close() for kiosk in kiosks))
        finally:
            await first.stop()
        assert sorted(numbers) == [f"A{sequence:03d}" for sequence in range(1, 201)]

        second = await start_server(settings, host="127.0.0.1", port=0, database_url=url)
        try:
            async with ProtocolClient(second.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
                assert kiosk.hello_result["seq"] == 200
                ticket = (await kiosk.request("issue", service="HT", request_key="next"))
                assert ticket["ticket"]["number"] == "A201"
        finally:
            await second.stop()
