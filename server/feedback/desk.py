"""The server's feedback desk: receiving a citizen's feedback, finding it again by its code,
the managers' inbox and answers, the CSV export, and erasing contacts when their time is up.

Every write goes through the server's writer process (``service.writer``), like the queue's
own; every read runs on the service's reader threads: the event loop never waits on the
database. Contacts are erased ``[server] feedback_contact_days`` (90 by default) after the
feedback was sent, by the server's daily purge (QueueService.purge_old_events), which runs
at start and once a day.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import hmac
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from server.config.settings import SiteSettings
from server.feedback.limits import AddressBuckets
from server.feedback.model import (
    TICKET_DAYS,
    Feedback,
    State,
    Submission,
    code_hash,
    new_code,
)
from server.feedback.store import FeedbackPage, FeedbackStore
from server.feedback.texts import CATEGORY_NAMES, STATE_NAMES
from server.store.database import StoreError

if TYPE_CHECKING:  # the runtime makes the desk: a type-only import keeps the cycle out
    from server.app.runtime import QueueService

logger = logging.getLogger(__name__)

PAGE_SIZE = 25
# A CSV holds at most this many (a year of a busy centre's feedback is far fewer).
EXPORT_LIMIT = 50_000
# Spreadsheets run a cell that starts with one of these as a formula: a citizen's text must
# stay text (OWASP's "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADERS = ("Số", "Mã trung tâm", "Trung tâm", "Ngày gửi", "Giờ gửi", "Góp ý về",
               "Nội dung", "Số phiếu", "Ngôn ngữ", "Tình trạng", "Trả lời", "Ngày trả lời",
               "Người trả lời")

_Read = TypeVar("_Read")


class FeedbackDesk:
    """The feedback of ``service``'s sites (see the module docstring)."""

    def __init__(self, service: QueueService) -> None:
        self.service = service
        self.store = FeedbackStore(service.repository.engines)
        # Sends per address, on the server's clock (a test moves it).
        self.limits = AddressBuckets(lambda: service.clock().timestamp())

    async def _read(self, function: Callable[..., _Read], *args: Any) -> _Read:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.service.readers,
                                          functools.partial(function, *args))

    # --- citizens -------------------------------------------------------------------------

    async def ticket_id(self, site: SiteSettings, number: str, track: str = "") -> str | None:
        """The ticket ``number`` of ``site`` the citizen means: the one of the status page's
        link (``track``) when its number is this, else the latest the site issued within
        :data:`TICKET_DAYS` days; ``None`` when there is none."""
        if track:
            found = self.service.find_track(track)
            if found is not None and found[0].settings.code == site.code \
                    and found[1].number.upper() == number.upper():
                return found[1].id
        today = self.service.clock().astimezone(site.timezone).date()
        return await self._read(self.store.ticket_issued, site.code, number,
                                today - timedelta(days=TICKET_DAYS - 1))

    async def submit(self, submission: Submission, ticket_id: str | None) -> str:
        """Store ``submission``; returns its reference code (raises StoreError when it could
        not be stored)."""
        code = new_code()
        now = self.service.clock()
        feedback = Feedback(
            id=0, code_hash=code_hash(self.service.server.secret, code),
            site=submission.site, created_at=now, category=submission.category,
            text=submission.text, contact=submission.contact, contact_erased_at=None,
            ticket=submission.ticket, ticket_id=ticket_id, language=submission.language,
            state=State.NEW, answer=None, answered_at=None, answered_by=None,
            updated_at=now, updated_by=None, revision=1)
        await self.service.writer.write(self.store.insert_plan(feedback))
        # Neither the text nor the contact nor the code is ever logged.
        logger.info("feedback received for %s (%s%s%s)", submission.site,
                    submission.category.value, ", with a contact" if submission.contact else "",
                    ", with a ticket" if submission.ticket else "")
        return code

    async def find(self, code: str) -> Feedback | None:
        """The feedback whose reference code is ``code`` (normalized), or ``None``."""
        expected = code_hash(self.service.server.secret, code)
        found = await self._read(self.store.by_code_hash, expected)
        if found is None or not hmac.compare_digest(found.code_hash.encode("ascii"),
                                                    expected.encode("ascii")):
            return None
        return found

    # --- managers -------------------------------------------------------------------------

    async def count_new(self, site: str) -> int:
        return await self._read(self.store.count_new, site)

    async def inbox(self, sites: Sequence[str], state: State | None,
                    page: int) -> FeedbackPage:
        """Page ``page`` (from 1) of the feedback of ``sites``, newest first."""
        return await self._read(self.store.page, list(sites), state,
                                (page - 1) * PAGE_SIZE, PAGE_SIZE)

    async def item(self, feedback_id: int) -> Feedback | None:
        return await self._read(self.store.by_id, feedback_id)

    async def change(self, before: Feedback, state: State, answer: str | None,
                     user: str) -> Feedback | None:
        """Give ``before`` the ``state`` and ``answer`` a manager chose; the new row, or
        ``None`` when someone changed it since ``before`` was read (nothing changed)."""
        now = self.service.clock()
        answered_at, answered_by = before.answered_at, before.answered_by
        if answer != before.answer:
            answered_at, answered_by = (now, user) if answer else (None, None)
        after = replace(before, state=state, answer=answer, answered_at=answered_at,
                        answered_by=answered_by, updated_at=now, updated_by=user,
                        revision=before.revision + 1)
        changed = (await self.service.writer.write(self.store.change_plan(before, after)))[0]
        if not changed:
            return None
        logger.info("feedback %d of %s: %s by %s%s", before.id, before.site, state.value,
                    user, " (answer changed)" if answer != before.answer else "")
        return after

    async def export_csv(self, sites: Sequence[SiteSettings], first: date,
                         last: date) -> bytes:
        """The feedback of ``sites`` sent from ``first`` to ``last`` (each site's own local
        days) as a CSV file: UTF-8 with a byte-order mark (Excel reads the Vietnamese
        right), like the reports'. No contact is written (module docstring of
        server.web.feedback_inbox)."""
        rows: list[tuple[Feedback, SiteSettings]] = []
        for site in sites:
            start = datetime.combine(first, time(), site.timezone)
            end = datetime.combine(last + timedelta(days=1), time(), site.timezone)
            found = await self._read(self.store.between, [site.code], start, end,
                                     EXPORT_LIMIT)
            rows.extend((feedback, site) for feedback in found)
        rows.sort(key=lambda pair: (pair[0].created_at, pair[0].id))
        return await asyncio.to_thread(_csv_bytes, rows[:EXPORT_LIMIT])

    # --- keeping only what is needed ------------------------------------------------------

    async def erase_old_contacts(self) -> int:
        """Erase the contact of every feedback sent more than ``feedback_contact_days``
        ago; returns how many. A failure is logged and tried again at the next purge."""
        now = self.service.clock()
        cutoff = now - timedelta(days=self.service.server.feedback_contact_days)
        try:
            erased = (await self.service.writer.write(self.store.erase_plan(cutoff, now)))[0]
        except StoreError as error:
            logger.error("erasing feedback contacts older than %s failed (tried again at "
                         "the next purge): %s", cutoff.isoformat(), error)
            return 0
        if erased:
            logger.info("erased the contact of %d feedback sent before %s", erased,
                        cutoff.isoformat())
        return erased


def _csv_bytes(rows: list[tuple[Feedback, SiteSettings]]) -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(CSV_HEADERS)
    for feedback, site in rows:
        sent = feedback.created_at.astimezone(site.timezone)
        answered = feedback.answered_at.astimezone(site.timezone) \
            if feedback.answered_at else None
        writer.writerow([
            feedback.id, site.code, site.name_vi, sent.strftime("%d/%m/%Y"),
            sent.strftime("%H:%M"), CATEGORY_NAMES[feedback.category][0],
            _as_text(feedback.text), _as_text(feedback.ticket or ""),
            feedback.language, STATE_NAMES[feedback.state][0],
            _as_text(feedback.answer or ""),
            answered.strftime("%d/%m/%Y %H:%M") if answered else "",
            feedback.answered_by or ""])
    return stream.getvalue().encode("utf-8-sig")


def _as_text(value: str) -> str:
    """``value`` as a cell no spreadsheet runs as a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
