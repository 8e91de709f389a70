"""The audit log on PostgreSQL (skipped unless ``QMS_TEST_POSTGRES_URL`` names a server, as
CI's does): an officer's call written with its events by the committer (fenced, as every
commit there), a web sign-in and a configuration change written on their own, the page and
its CSV read back, and the retention purge."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine, text
from support.databases import fresh_postgres_database
from support.servers import COUNTER_TOKEN, KIOSK_TOKEN, PASSWORD, SITE
from support.web import WebClient, form_token

from server.app.serve import start_server
from server.audit.model import Action, Actor, ActorKind, AuditEntry, Channel
from server.config import Settings
from server.protocol.client import ProtocolClient


async def test_the_audit_log_on_postgresql(settings: Settings) -> None:
    with fresh_postgres_database() as url:
        running = await start_server(settings, host="127.0.0.1", port=0, database_url=url)
        try:
            async with ProtocolClient(running.ws_url, "kiosk", KIOSK_TOKEN, SITE) as kiosk:
                ticket = (await kiosk.request("issue", service="HT",
                                              request_key="one"))["ticket"]
            async with ProtocolClient(running.ws_url, "counter", COUNTER_TOKEN,
                                      SITE) as counter:
                await counter.request("login", counter="3", user="minh", password=PASSWORD)
                await counter.request("call_next")
            client = WebClient(running.http_url)
            assert (await client.sign_in(user="tinh")).status == 200
            page = await client.get(f"/admin/site/{SITE}/site")
            await client.post(f"/admin/site/{SITE}/site", {
                "csrf": form_token(page.body), "name_vi": "Trung tâm thử nghiệm",
                "notice": "Nghỉ Tết"})
            listing = await client.get(f"/manage/audit?site={SITE}")
            assert listing.status == 200
            for action in ("counter.login", "ticket.call_next", "config.change"):
                assert f'data-action="{action}"' in listing.body, action
            exported = await client.get("/manage/audit/export?action=ticket")
            assert exported.status == 200 and ticket["id"] in exported.body
            service = running.service
            old = AuditEntry(service.clock() - timedelta(days=400), SITE,
                             Actor(ActorKind.SYSTEM, "test", Channel.SERVER),
                             Action.CONFIG_CHANGE.value, "old")
            assert await service.audit.record(old)
            await service.purge_old_events()
        finally:
            await running.stop()
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            with engine.connect() as connection:
                rows = connection.execute(text(
                    "SELECT action, actor, counter, target FROM audit_log ORDER BY id")).all()
        finally:
            engine.dispose()
    actions = [row.action for row in rows]
    assert actions == ["counter.login", "ticket.call_next", "sign_in.ok", "config.change",
                       "audit.export"]
    call = rows[1]
    assert (call.actor, call.counter, call.target) == ("minh", "3", ticket["id"])
