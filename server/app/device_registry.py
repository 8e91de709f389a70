"""Which devices are in contact: per device token, its connections, last contact, address,
app version and the devices it reports, for the administration's device list.

A device is known by its token's *fingerprint* (a keyed hash: the token itself is kept
nowhere but in the configuration), so a device whose token was revoked is still recognised
when it comes back and is refused. Kept in memory, from the server's start: after a restart
a device shows as never seen until it connects again (they reconnect within seconds).
Bounded: at most :data:`MAX_CONTACTS` tokens are remembered (the oldest contact goes first).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from server.config.settings import TokenSettings

MAX_CONTACTS = 20_000


def token_fingerprint(secret: str, token: str) -> str:
    """A device token's fingerprint: its HMAC-SHA-256 with the deployment's secret, in hex
    (stored with enrolment codes; tells a token's device apart without keeping the token)."""
    return hmac.new(secret.encode("utf-8"), b"device-token:" + token.encode("utf-8"),
                    hashlib.sha256).hexdigest()


@dataclass(slots=True)
class DeviceContact:
    """What the server has seen of one device token (at ``site``), since it started."""

    site: str
    fingerprint: str
    name: str
    role: str
    connections: int = 0
    last_contact: datetime | None = None
    address: str | None = None
    version: str | None = None
    # Names this device's connections reported in device_status (its printer, ...).
    reported: set[str] = field(default_factory=set)
    # A hello refused with this token (it was revoked): when, and from where.
    refused_at: datetime | None = None
    refused_from: str | None = None
    refusals: int = 0

    @property
    def connected(self) -> bool:
        return self.connections > 0


class DeviceRegistry:
    """The contacts of every site's device tokens (see the module docstring)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self._contacts: OrderedDict[str, DeviceContact] = OrderedDict()

    def fingerprint(self, token: str) -> str:
        return token_fingerprint(self.secret, token)

    def opened(self, site: str, token: TokenSettings, address: str, version: str | None,
               now: datetime) -> DeviceContact:
        """A connection said hello with ``token``: the device is in contact now."""
        fingerprint = self.fingerprint(token.token)
        contact = self._contacts.get(fingerprint)
        if contact is None or contact.site != site:
            contact = DeviceContact(site, fingerprint, token.name, token.role.value)
        contact.name, contact.role = token.name, token.role.value
        contact.connections += 1
        contact.last_contact, contact.address = now, address
        contact.version = version
        self._remember(contact)
        return contact

    def closed(self, contact: DeviceContact, now: datetime) -> None:
        """One of ``contact``'s connections has gone."""
        contact.connections = max(0, contact.connections - 1)
        contact.last_contact = now

    def refused(self, token: str | None, address: str, now: datetime) -> None:
        """A hello with ``token`` was refused: noted when it is a device seen before (a
        revoked one trying again)."""
        if not token:
            return
        contact = self._contacts.get(self.fingerprint(token))
        if contact is not None:
            contact.refused_at, contact.refused_from = now, address
            contact.refusals += 1

    def of_site(self, site: str) -> list[DeviceContact]:
        return [contact for contact in self._contacts.values() if contact.site == site]

    def get(self, fingerprint: str) -> DeviceContact | None:
        return self._contacts.get(fingerprint)

    def _remember(self, contact: DeviceContact) -> None:
        self._contacts[contact.fingerprint] = contact
        self._contacts.move_to_end(contact.fingerprint)
        while len(self._contacts) > MAX_CONTACTS:
            oldest = next(iter(self._contacts.values()))
            if oldest.connected:
                break  # never forget a device that is connected now
            del self._contacts[oldest.fingerprint]
