"""A commit that fails leaves nothing behind: no number is lost, none is duplicated."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from support.servers import KIOSK_TOKEN, SITE, table_counts

from server.app.serve import start_server
from server.config import Settings
from server.protocol.client import ProtocolClient, RequestFailed
from server.store.database import StoreError
from server.store.repository import Repository, SiteChanges


class DiskFullOnce(Repository):
    """The real repository, but the next save fails as a full disk would."""

    fail_next = False

    def save(self, batch: Sequence[SiteChanges]) -> None:
        if self.fail_next:
            self.fail_next = False
            raise StoreError("database or disk is full")
        super().save(batch)


async def test_failed_commit_refuses_the_press_and_reuses_the_number(
    settings: Settings, database_path: Path
) -> None:
    server = await start_server(settings, host="127.0.0.1", port=0,
                                database_url=f"sqlite:///{database_path}")
    repository = DiskFullOnce(server.engines)
    server.service.repository = repository
    server.service.committer.repository = repository
    try:
        async with ProtocolClient(server.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
            first = (await kiosk.request("issue", service="HT", request_key="a"))["ticket"]
            repository.fail_next = True
            try:
                await kiosk.request("issue", service="HT", request_key="b")
                raise AssertionError("the failed commit was reported as a success")
            except RequestFailed as error:
                assert error.code == "internal"
            retry = (await kiosk.request("issue", service="HT", request_key="b"))["ticket"]
            assert (first["number"], retry["number"]) == ("A001", "A002")
            snapshot = await kiosk.request("snapshot")
            assert snapshot["seq"] == 2
        assert table_counts(database_path)["tickets"] == 2
    finally:
        await server.stop()
