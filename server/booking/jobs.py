"""The booking jobs: one long-lived task that, every :data:`PASS_SECONDS`, on the server's
clock,

1. **expires** every booking still booked after its check-in window ended: its place in the
   slot is free again (the capacity counts only booked and checked-in bookings), and its
   phone is erased;
2. **reminds**: sends each booking whose reminder is due its reminder through the SMS
   sender, once (marked sent first, so a crash never sends it twice; a sender's failure is
   logged and not retried, so a broken gateway costs nobody a flood of messages later);
3. **erases** personal data: the person's hash and phone of every booking whose day is more
   than ``personal_data_days`` before the site's today (once an hour).

A pass that meets a database or SMS failure logs it and goes on at the next pass; anything
else ends the task, which the service supervises (logged with its traceback, ``/health``
failed, the server stops for its service manager to restart it): it never dies silently.
Tests move the server's clock and call :meth:`BookingJobs.pass_now`, which runs one whole
pass and returns when it is done.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from server.booking.model import Booking, shown_code
from server.booking.sms import SmsError
from server.booking.texts import translator
from server.config.settings import BookingSettings
from server.store.database import StoreError
from server.web.texts import Language, language_of

if TYPE_CHECKING:
    from server.booking.desk import BookingDesk

logger = logging.getLogger(__name__)

PASS_SECONDS = 30.0
ERASE_EVERY_SECONDS = 3600.0
BOOKING_PAGE = "/dat-lich/ma"


class BookingJobs:
    """The jobs of ``desk`` (module docstring); :meth:`run` is the task."""

    def __init__(self, desk: BookingDesk) -> None:
        self.desk = desk
        self.passes = 0
        self._wake = asyncio.Event()
        self._done = asyncio.Condition()
        self._running = False
        self._erased_at: datetime | None = None

    async def run(self) -> None:
        """Pass after pass until cancelled."""
        while True:
            self._running = True
            try:
                await self.one_pass()
            finally:
                self._running = False
                self.passes += 1
                async with self._done:
                    self._done.notify_all()
            try:
                async with asyncio.timeout(PASS_SECONDS):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()

    async def pass_now(self) -> None:
        """Run a whole pass now (one that starts after this call) and wait for its end."""
        target = self.passes + (2 if self._running else 1)
        self._wake.set()
        async with self._done:
            await self._done.wait_for(lambda: self.passes >= target)

    async def one_pass(self) -> None:
        service = self.desk.service
        now = service.clock()
        try:
            expired = (await service.writer.write(self.desk.store.expire_plan(now)))[0]
            if expired:
                logger.info("%d bookings expired (not checked in within their window)",
                            expired)
        except StoreError as error:
            logger.error("expiring bookings failed (tried again at the next pass): %s", error)
        await self._remind(now)
        if self._erased_at is None or \
                (now - self._erased_at).total_seconds() >= ERASE_EVERY_SECONDS:
            await self.erase(now)

    async def erase(self, now: datetime) -> int:
        """Erase the personal data of every site's bookings past their days; how many. A
        site no longer configured keeps the default days (its data is not kept for ever)."""
        service = self.desk.service
        erased = 0
        try:
            sites = await self.desk.read(self.desk.store.sites_with_personal_data)
        except StoreError as error:
            logger.error("reading the sites of bookings failed (tried again later): %s", error)
            return 0
        for code in sites:
            # The configuration's, whichever process serves the site.
            site = service.site_settings.get(code)
            days = (site.booking.personal_data_days if site is not None
                    else BookingSettings().personal_data_days)
            zone = site.timezone if site is not None else UTC
            before = now.astimezone(zone).date() - timedelta(days=days)
            try:
                erased += (await service.writer.write(
                    self.desk.store.erase_plan(code, before, now)))[0]
            except StoreError as error:
                logger.error("erasing booking data of %s failed (tried again later): %s",
                             code, error)
                return erased
        self._erased_at = now
        if erased:
            logger.info("erased the personal data of %d bookings", erased)
        return erased

    async def _remind(self, now: datetime) -> None:
        desk = self.desk
        try:
            due = await desk.read(desk.store.reminders_due, now)
        except StoreError as error:
            logger.error("reading the reminders due failed: %s", error)
            return
        for booking in due:
            try:
                claimed = (await desk.service.writer.write(
                    desk.store.claim_reminder_plan(booking.id, now)))[0]
            except StoreError as error:
                logger.error("marking a reminder failed (tried again later): %s", error)
                return
            if not claimed or booking.phone is None:
                continue
            text = self.reminder_text(booking)
            if text is None:
                continue
            try:
                await desk.sender.send(booking.phone, text)
            except SmsError as error:
                logger.warning("the reminder of a booking at %s was not sent: %s",
                               booking.site, error)

    def reminder_text(self, booking: Booking) -> str | None:
        """The reminder of ``booking`` in its language (``None``: its site is gone)."""
        service = self.desk.service
        # The configuration's, whichever process serves the site: with several processes,
        # any of them may claim a reminder (the claim is one conditional update), and a
        # claimed reminder must be sent.
        site = service.site_settings.get(booking.site)
        if site is None:
            return None
        language = language_of(booking.language)
        t = translator(language)
        procedure = site.service(booking.service)
        english = language is Language.ENGLISH
        code = self.desk.code_of(booking)
        start = booking.slot_start.astimezone(site.timezone)
        check_in = booking.check_in_from.astimezone(site.timezone)
        return t("reminder",
                 site=(site.name_en or site.name_vi) if english else site.name_vi,
                 service=(procedure.name_en or procedure.name_vi) if english and procedure
                 else procedure.name_vi if procedure else booking.service,
                 start=f"{start:%H:%M}", day=f"{start:%d/%m/%Y}", code=shown_code(code),
                 check_in=f"{check_in:%H:%M}",
                 url=f"{service.server.public_url}{BOOKING_PAGE}/{code}"
                     f"?k={self.desk.page_key(code)}")

