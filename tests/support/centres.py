"""A province fed by centres' own servers, for the forwarding tests
(server.app.forwarder, server.app.forwarding): the province's settings and a hall's load."""

from __future__ import annotations

from server.config import Settings, parse_settings
from server.protocol.client import ProtocolClient
from support.servers import site_config

CENTRE_TOKEN = "centre-token-000001"
OTHER_SITE = "xa-khac"
OTHER_CENTRE_TOKEN = "centre-token-000002"


def province_settings(centre_url: str | None = None) -> Settings:
    """The province's deployment: the test site fed by its centre (a centre token), and
    another site fed by another centre."""
    config = site_config()
    site = config["sites"][0]
    site["forwarded_from_centre"] = True
    if centre_url is not None:
        site["centre_url"] = centre_url
    site["tokens"].append({"name": "máy chủ trung tâm", "role": "centre",
                           "token": CENTRE_TOKEN})
    other = {**{key: value for key, value in site.items() if key != "centre_url"},
             "code": OTHER_SITE,
             "tokens": [{"name": "centre", "role": "centre", "token": OTHER_CENTRE_TOKEN}]}
    config["sites"].append(other)
    return parse_settings(config)


async def work(kiosk: ProtocolClient, counter: ProtocolClient, label: str,
               tickets: int) -> None:
    """A hall's load: ``tickets`` numbers issued, every other one called and finished, the
    first of them rated."""
    for index in range(tickets):
        await kiosk.request("issue", service="HT", request_key=f"{label}-{index}")
        if index % 2:
            done = await counter.request("call_next")
            await counter.request("finish")
            if index == 1:
                await counter.request("rate", ticket_id=done["ticket"]["id"], score=4)
