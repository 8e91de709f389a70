"""The citizens' booking pages (``/dat-lich``): take a number from the phone or book a visit.

- ``GET /dat-lich``: the centres taking bookings (one alone: straight to it).
- ``GET /dat-lich/{site}``: its fields and procedures that take bookings.
- ``GET /dat-lich/{site}/{service}?day=YYYY-MM-DD``: when (a number now, with the people
  ahead and the expected wait; or a slot of the day chosen among today and the next
  ``days_ahead``, each with the places left) and who (a mobile number or a CCCD number).
- ``POST /dat-lich/{site}/{service}``: with a CCCD number, the booking is made; with a phone,
  a one-time code is sent (server.booking.otp, server.booking.sms) and the page asks for it;
  ``POST .../xac-nhan`` checks it and makes the booking. Either way the answer is 303 to the
  booking's own page.
- ``GET /dat-lich/ma/{code}?k={key}``: the booking's page (its code, QR, state, the ticket's
  live status page when it has one); ``POST .../huy`` cancels it. Without the right key:
  404. There is no listing: a booking is reached with its link, or with its code and the
  number it was made with (``/dat-lich/tra-cuu``).

Every post is read by server.web.forms (our own origin only, a size limit, a deadline) and
has every bad field answered 400 with the form again, the reason beside the field in the
page's language, nothing stored. Each address may book (or be sent a code)
``per_address_per_hour`` times an hour at a site (429 beyond), and look bookings up 10 times
at once, then one every 6 minutes. The pages need no script.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.app.runtime import QueueService, SiteRuntime
from server.booking.desk import Booked, BookingRefused, BookingRequest
from server.booking.form import Choice, Problem, read_choice, read_lookup_identity
from server.booking.model import (
    Booking,
    BookingKind,
    BookingStatus,
    IdentityKind,
    normalized_code,
    qr_text,
    shown_code,
)
from server.booking.otp import OtpRefused
from server.booking.phone import mask_phone
from server.booking.slots import (
    bookable_days,
    number_now_reopens,
    number_now_until,
    open_slots,
    slots_on,
)
from server.booking.sms import SmsError, code_message
from server.booking.texts import translator
from server.config.hours import ENGLISH_WEEKDAYS, VIETNAMESE_WEEKDAYS, moment_words
from server.config.settings import (
    BookingPolicy,
    FieldSettings,
    ServiceSettings,
    SiteSettings,
)
from server.feedback.limits import AddressBuckets, BucketPolicy
from server.store.database import StoreError
from server.web.access import at_its_owner
from server.web.admin.devices import qr_svg
from server.web.auth import finish, language
from server.web.forms import FormRefused, read_form
from server.web.templating import page
from server.web.texts import Language

logger = logging.getLogger(__name__)

HOME = "/dat-lich"
PAGE = "/dat-lich/ma"
FIND = "/dat-lich/tra-cuu"
FORM_LIMIT = 4 * 1024
# Problems answered beside their field; the rest go in the note on top.
_FIELDS = ("when", "by", "phone", "cccd", "otp", "code", "identity")
_LIMITS = frozenset({"err_limit_day", "err_limit_field", "err_limit_open", "err_busy",
                     "err_issue_refused", "err_not_bookable"})


@dataclass(frozen=True, slots=True)
class DayTab:
    day: date
    label: str
    url: str
    chosen: bool


@dataclass(frozen=True, slots=True)
class SlotOption:
    value: str
    label: str
    left: int


def booking_routes(service: QueueService) -> list[Route]:
    """The citizens' booking pages of ``service``."""
    desk = service.bookings
    # "Find my booking": ten lookups at once, then one every six minutes per address.
    lookups = AddressBuckets(lambda: service.clock().timestamp(),
                             BucketPolicy(capacity=10, refill_seconds=360.0))

    def _common(request: Request, site: SiteSettings | None) -> dict[str, Any]:
        lang = language(request)
        kept = [(key, value) for key, value in request.query_params.multi_items()
                if key != "lang"]
        switch = "en" if lang is Language.VIETNAMESE else "vi"
        return {"t": translator(lang), "lang": lang,
                "switch_url": f"{request.url.path}?{urlencode([*kept, ('lang', switch)])}",
                "site_name": _site_name(site, lang) if site else None,
                "suffix": "?lang=en" if lang is Language.ENGLISH else "",
                "and_lang": "&lang=en" if lang is Language.ENGLISH else ""}

    def _taking() -> list[SiteSettings]:
        """Every configured site taking bookings, whichever process serves it."""
        return [site for site in service.site_settings.values() if site.booking.enabled]

    async def centres(request: Request) -> Response:
        taking = _taking()
        common = _common(request, None)
        if len(taking) == 1:
            return RedirectResponse(f"{HOME}/{taking[0].code}{common['suffix']}", 303)
        lang: Language = common["lang"]
        return finish(service, request, page(
            "booking_centres.html", **common,
            centres=[(site.code, _site_name(site, lang), site.address) for site in taking]))

    async def _served_elsewhere(request: Request, code: str) -> Response | None:
        """A page of a site taking bookings that another server process serves: the same
        page there (the bookings and tickets of a site are taken where it is served, so its
        capacity is checked in one place); 503 while nobody serves it. ``None``: here."""
        site = service.site_settings.get(code)
        if site is None or not site.booking.enabled or code in service.sites:
            return None
        moved = await at_its_owner(service, request, code)
        if moved is not None or code in service.sites:
            return moved
        response = _message(request, site, "err_site_moving", 503)
        response.headers["Retry-After"] = "2"
        return response

    def _site(request: Request) -> SiteRuntime | None:
        runtime = service.sites.get(request.path_params["site"])
        if runtime is None or not runtime.settings.booking.enabled:
            return None
        return runtime

    async def procedures(request: Request) -> Response:
        runtime = _site(request)
        elsewhere = await _served_elsewhere(request, request.path_params["site"])
        if elsewhere is not None:
            return elsewhere
        if runtime is None:
            return _message(request, None, "err_site_unknown", 404)
        site = runtime.settings
        common = _common(request, site)
        lang: Language = common["lang"]
        groups = []
        for item in site.fields:
            services = [(service_item.code, _service_name(service_item, lang))
                        for service_item in site.services
                        if service_item.field == item.code
                        and site.booking.takes(service_item.code)]
            if services:
                groups.append((_field_name(item, lang), services))
        return finish(service, request, page("booking_procedures.html", **common,
                                             site=site, groups=groups,
                                             single=len(_taking()) == 1))

    async def choose(request: Request) -> Response:
        runtime = _site(request)
        code = request.path_params["service"]
        elsewhere = await _served_elsewhere(request, request.path_params["site"])
        if elsewhere is not None:
            return elsewhere
        if runtime is None:
            return _message(request, None, "err_site_unknown", 404)
        if not runtime.settings.booking.takes(code) or runtime.settings.service(code) is None:
            return _message(request, runtime.settings, "err_not_bookable", 404)
        return await _choose_page(request, runtime, code)

    async def _choose_page(request: Request, runtime: SiteRuntime, code: str,
                           status_code: int = 200, values: dict[str, str] | None = None,
                           errors: dict[str, str] | None = None, note: str | None = None,
                           day_text: str | None = None) -> Response:
        site = runtime.settings
        procedure = site.service(code)
        assert procedure is not None
        common = _common(request, site)
        lang: Language = common["lang"]
        t = common["t"]
        now = service.clock()
        days = bookable_days(site, now)
        values = values or {}
        chosen_day = _day(day_text or values.get("day") or request.query_params.get("day", ""),
                          days)
        if chosen_day is None:
            chosen_day = next((day for day in days if open_slots(site, code, day, now)),
                              days[0])
        base = f"{HOME}/{site.code}/{code}"
        language_query = [("lang", "en")] if lang is Language.ENGLISH else []
        tabs = [DayTab(day, _day_label(day, days[0], lang),
                       f"{base}?{urlencode([('day', day.isoformat()), *language_query])}",
                       day == chosen_day)
                for day in days if slots_on(site, code, day)]
        places = await desk.places(site, code, open_slots(site, code, chosen_day, now))
        slots = [SlotOption(item.slot.start.isoformat(), f"{item.slot.start:%H:%M}", item.left)
                 for item in places]
        until = number_now_until(site, code, now)
        now_offer = None
        if until is not None:
            ahead, known, eta = desk.people_ahead(runtime, code)
            if site.booking.policy is BookingPolicy.FROM_BOOKING:
                hint = t("bk_now_hint_ticket")
            else:
                hint = t("bk_now_hint_check_in",
                         until=f"{until.astimezone(site.timezone):%H:%M}")
            waiting = desk.waiting(runtime, code)
            now_offer = {
                "hint": hint,
                "ahead": t("bk_ahead", count=ahead) if known
                else t("bk_ahead_unknown", count=waiting),
                "wait": t("bk_wait", minutes=eta) if known and eta is not None else None}
        now_closed = None if until is not None or not site.booking.number_now \
            else _reopening_text(site, code, now, lang)
        return finish(service, request, page(
            "booking_choose.html", status_code, **common, site=site,
            procedure=_service_name(procedure, lang), service_code=code,
            field_name=_field_of(site, procedure.field, lang), tabs=tabs,
            chosen_day=chosen_day, day_label=_day_label(chosen_day, bookable_days(
                site, now)[0], lang), slots=slots, now_offer=now_offer,
            now_closed=now_closed, values=values,
            errors=errors or {}, note=note, action=base + common["suffix"],
            slot_minutes=site.booking.slot_minutes,
            days=site.booking.personal_data_days,
            back=f"{HOME}/{site.code}{common['suffix']}"))

    def _reopening_text(site: SiteSettings, code: str, now: datetime, lang: Language) -> str:
        """Why "a number now" is not offered, and when it is again (as the kiosk says it)."""
        t = translator(lang)
        reopens = number_now_reopens(site, code, now)
        if reopens is None:
            return str(t("bk_now_closed"))
        local = now.astimezone(site.timezone)
        vietnamese, english = moment_words(reopens.astimezone(site.timezone), local.date())
        return str(t("bk_now_reopens",
                     when=english if lang is Language.ENGLISH else vietnamese))

    def _problem_text(lang: Language, problem: Problem) -> str:
        t = translator(lang)
        values = dict(problem.values)
        if problem.key == "err_phone":
            values = {"reason": values["reason_en" if lang is Language.ENGLISH
                                       else "reason_vi"]}
        return str(t(problem.key, **values))

    def _refusal_text(lang: Language, refused: BookingRefused) -> str:
        return str(translator(lang)(refused.key, **refused.values))

    async def send(request: Request) -> Response:
        """The choice posted: booked (CCCD) or a one-time code sent (phone)."""
        return await _posted(request, confirm=False)

    async def confirm(request: Request) -> Response:
        """The one-time code posted back: the booking is made."""
        return await _posted(request, confirm=True)

    async def _posted(request: Request, confirm: bool) -> Response:
        runtime = _site(request)
        code = request.path_params["service"]
        lang = language(request)
        address = request.client.host if request.client else "unknown"
        try:
            form = await read_form(request, service.server.public_url, FORM_LIMIT)
        except FormRefused as refused:
            logger.info("booking form from %s refused: %s", address, refused.message)
            return _plain(request, refused.message, refused.status_code)
        elsewhere = await _served_elsewhere(request, request.path_params["site"])
        if elsewhere is not None:
            return elsewhere
        if runtime is None:
            return _message(request, None, "err_site_unknown", 404)
        site = runtime.settings
        if not site.booking.takes(code) or site.service(code) is None:
            return _message(request, site, "err_not_bookable", 404)
        values = {name: form.get(name, "")[:64] for name in
                  ("when", "by", "phone", "cccd", "day", "otp")}
        limit = desk.address_limit(site)
        t = translator(lang)
        if limit.wait_seconds(address) > 0 and not confirm:
            logger.info("booking from %s refused: too many from this address", address)
            return await _choose_page(request, runtime, code, 429, values,
                                      note=t("bk_too_many",
                                             minutes=limit.wait_minutes(address)))
        today = service.clock().astimezone(site.timezone).date()
        choice, problems = read_choice(form, today)
        if confirm and choice is not None and choice.identity_kind is not IdentityKind.PHONE:
            choice, problems = None, [Problem("by", "err_identity_missing")]
        if problems or choice is None:
            errors: dict[str, str] = {}
            for problem in problems:
                errors.setdefault(problem.field, _problem_text(lang, problem))
            return await _choose_page(request, runtime, code, 400, values, errors,
                                      note=t("bk_fix"))
        if choice.identity_kind is IdentityKind.PHONE:
            if not confirm:
                return await _send_code(request, runtime, code, choice, values, limit, address)
            otp = "".join(form.get("otp", "").split())
            if not otp:
                return _otp_page(request, site, code, choice, values, 400,
                                 {"otp": t("err_otp_missing")})
            if not desk.codes.verify(choice.identity, otp):
                return _otp_page(request, site, code, choice, values, 400,
                                 {"otp": t("bk_otp_wrong")})
        elif not limit.take(address):
            return await _choose_page(request, runtime, code, 429, values,
                                      note=t("bk_too_many",
                                             minutes=limit.wait_minutes(address)))
        try:
            booked = await desk.book(BookingRequest(site.code, code, choice.start,
                                                    choice.identity_kind, choice.identity,
                                                    lang.value))
        except BookingRefused as refused:
            text = _refusal_text(lang, refused)
            field_errors = {} if refused.key in _LIMITS else {"when": text}
            return await _choose_page(request, runtime, code, 409, values, field_errors,
                                      note=text)
        except StoreError as error:
            logger.error("booking from %s not saved: %s", address, error)
            return await _choose_page(request, runtime, code, 503, values,
                                      note=t("bk_not_saved"))
        return _to_page(booked, lang)

    async def _send_code(request: Request, runtime: SiteRuntime, code: str, choice: Choice,
                         values: dict[str, str], limit: AddressBuckets,
                         address: str) -> Response:
        site = runtime.settings
        lang = language(request)
        t = translator(lang)
        try:
            one_time = desk.codes.issue(choice.identity)
        except OtpRefused as refused:
            message = refused.message_en if lang is Language.ENGLISH else refused.message_vi
            return await _choose_page(request, runtime, code, 429, values,
                                      {"phone": message}, note=message)
        if not limit.take(address):
            return await _choose_page(request, runtime, code, 429, values,
                                      note=t("bk_too_many",
                                             minutes=limit.wait_minutes(address)))
        try:
            await desk.sender.send(choice.identity, code_message(
                service.server.sms, one_time, desk.codes.lifetime_minutes))
        except SmsError as error:
            logger.warning("one-time code to %s not sent: %s", mask_phone(choice.identity),
                           error)
            return await _choose_page(request, runtime, code, 503, values,
                                      {"phone": t("bk_otp_not_sent")},
                                      note=t("bk_otp_not_sent"))
        return _otp_page(request, site, code, choice, values)

    def _otp_page(request: Request, site: SiteSettings, code: str, choice: Choice,
                  values: dict[str, str], status_code: int = 200,
                  errors: dict[str, str] | None = None) -> Response:
        common = _common(request, site)
        lang: Language = common["lang"]
        procedure = site.service(code)
        assert procedure is not None
        base = f"{HOME}/{site.code}/{code}"
        return finish(service, request, page(
            "booking_otp.html", status_code, **common, site=site,
            procedure=_service_name(procedure, lang),
            when=_when_text(site, choice.start, lang), values=values,
            phone=mask_phone(choice.identity), errors=errors or {},
            minutes=desk.codes.lifetime_minutes,
            action=f"{base}/xac-nhan{common['suffix']}", resend=base + common["suffix"],
            back=f"{base}{common['suffix']}"))

    def _to_page(booked: Booked, lang: Language) -> Response:
        suffix = "&lang=en" if lang is Language.ENGLISH else ""
        return RedirectResponse(f"{PAGE}/{booked.code}?k={booked.key}&done=1{suffix}", 303)

    async def booking_page(request: Request) -> Response:
        key = request.query_params.get("k", "")[:64]
        try:
            found = await desk.find(request.path_params["code"][:40], key)
        except StoreError as error:
            logger.error("booking page not read: %s", error)
            return _message(request, None, "bk_not_saved", 503)
        if found is None:
            return _message(request, None, "bk_not_found", 404, find_form=True)
        code, booking = found
        elsewhere = await _served_elsewhere(request, booking.site)
        if elsewhere is not None:
            return elsewhere
        return _booking_page(request, code, key, booking,
                             done=request.query_params.get("done") == "1",
                             cancelled=request.query_params.get("cancelled") == "1")

    def _booking_page(request: Request, code: str, key: str, booking: Booking,
                      done: bool = False, cancelled: bool = False, status_code: int = 200,
                      note: str | None = None) -> Response:
        runtime = service.sites.get(booking.site)
        site = runtime.settings if runtime is not None else None
        common = _common(request, site)
        lang: Language = common["lang"]
        t = common["t"]
        zone = site.timezone if site is not None else None
        procedure = site.service(booking.service) if site is not None else None
        ticket = None
        held = desk.ticket_of(booking)
        if held is not None:
            held_runtime, held_ticket = held
            shown = held_runtime.views.ticket(held_runtime.committed, held_ticket)
            ticket = {"number": shown["number"], "status": shown["status"],
                      "ahead": shown["ahead"], "known": shown["ahead_known"],
                      "eta": shown["eta_minutes"],
                      "url": held_runtime.views.rating_url(held_ticket.id),
                      "waiting": held_ticket.queued}
        start = booking.slot_start.astimezone(zone) if zone else booking.slot_start
        window = (booking.check_in_from.astimezone(zone) if zone else booking.check_in_from,
                  booking.check_in_until.astimezone(zone) if zone else booking.check_in_until)
        can_cancel = booking.status is BookingStatus.BOOKED or (
            ticket is not None and bool(ticket["waiting"]))
        return finish(service, request, page(
            "booking_page.html", status_code, **common, booking=booking,
            shown=shown_code(code), code=code, key=key, qr=qr_svg(qr_text(code)),
            procedure=_service_name(procedure, lang) if procedure else booking.service,
            time=(t("bk_time_now", time=f"{start:%H:%M}")
                  if booking.kind is BookingKind.NOW else
                  t("bk_time_slot", start=f"{start:%H:%M}",
                    end=f"{booking.slot_end.astimezone(start.tzinfo):%H:%M}",
                    day=_day_words(start.date(), lang))),
            window=t("bk_check_in_window", start=f"{window[0]:%H:%M}",
                     end=f"{window[1]:%H:%M}", day=_day_words(window[1].date(), lang)),
            status=t(f"bk_status_{booking.status.value}"), ticket=ticket, done=done,
            cancelled=cancelled, can_cancel=can_cancel, note=note,
            reminder=(t("bk_reminder", minutes=site.booking.reminder_minutes_before)
                      if site is not None and booking.remind_at is not None
                      and booking.reminded_at is None
                      and booking.status is BookingStatus.BOOKED else None),
            cancel_action=f"{PAGE}/{code}/huy{common['suffix']}",
            again=f"{HOME}/{booking.site}{common['suffix']}"))

    async def cancel(request: Request) -> Response:
        lang = language(request)
        try:
            form = await read_form(request, service.server.public_url, FORM_LIMIT)
        except FormRefused as refused:
            return _plain(request, refused.message, refused.status_code)
        code_text = request.path_params["code"][:40]
        key = form.get("k", "")[:64]
        try:
            found = await desk.find(code_text, key)
        except StoreError as error:
            logger.error("booking not read: %s", error)
            return _message(request, None, "bk_not_saved", 503)
        if found is not None:
            elsewhere = await _served_elsewhere(request, found[1].site)
            if elsewhere is not None:
                return elsewhere
        try:
            booking = await desk.cancel(code_text, key)
        except BookingRefused as refused:
            found = await desk.find(code_text, key)
            if found is None:
                return _message(request, None, "bk_not_found", 404, find_form=True)
            return _booking_page(request, found[0], key, found[1], status_code=409,
                                 note=_refusal_text(lang, refused))
        except StoreError as error:
            logger.error("booking not cancelled: %s", error)
            return _message(request, None, "bk_not_saved", 503)
        code = normalized_code(code_text)
        assert code is not None
        suffix = "&lang=en" if lang is Language.ENGLISH else ""
        logger.info("booking at %s cancelled from its page", booking.site)
        return RedirectResponse(f"{PAGE}/{code}?k={key}&cancelled=1{suffix}", 303)

    async def find_page(request: Request) -> Response:
        return _find(request)

    def _find(request: Request, status_code: int = 200, values: dict[str, str] | None = None,
              errors: dict[str, str] | None = None, note: str | None = None) -> Response:
        common = _common(request, None)
        return finish(service, request, page(
            "booking_find.html", status_code, **common, values=values or {},
            errors=errors or {}, note=note, action=FIND + common["suffix"]))

    async def find(request: Request) -> Response:
        lang = language(request)
        t = translator(lang)
        address = request.client.host if request.client else "unknown"
        try:
            form = await read_form(request, service.server.public_url, FORM_LIMIT)
        except FormRefused as refused:
            return _plain(request, refused.message, refused.status_code)
        values = {"code": form.get("code", "")[:40], "identity": form.get("identity", "")[:40]}
        if not lookups.take(address):
            return _find(request, 429, values, note=t("bk_too_many",
                                                      minutes=lookups.wait_minutes(address)))
        errors = {}
        code = normalized_code(values["code"])
        if code is None:
            errors["code"] = t("err_code_booking")
        today = service.clock().date()
        identity = read_lookup_identity(values["identity"], today)
        if identity is None:
            errors["identity"] = t("err_lookup_identity")
        if errors or code is None or identity is None:
            return _find(request, 400, values, errors, note=t("bk_fix_find"))
        found = await desk.find_by_person(code, identity[0], identity[1])
        if found is None:
            return _find(request, 404, values, note=t("bk_not_found"))
        suffix = "&lang=en" if lang is Language.ENGLISH else ""
        return RedirectResponse(f"{PAGE}/{found[0]}?k={desk.page_key(found[0])}{suffix}", 303)

    def _message(request: Request, site: SiteSettings | None, key: str, status_code: int,
                 find_form: bool = False) -> Response:
        common = _common(request, site)
        return finish(service, request, page(
            "booking_message.html", status_code, **common, message=common["t"](key),
            find_form=find_form, values={}, errors={}, action=FIND + common["suffix"]))

    def _plain(request: Request, message: str, status_code: int) -> Response:
        common = _common(request, None)
        return finish(service, request, page(
            "booking_message.html", status_code, **common, message=message,
            find_form=False, values={}, errors={}, action=FIND + common["suffix"]))

    return [
        Route(HOME, centres, methods=["GET"]),
        Route(FIND, find_page, methods=["GET"]),
        Route(FIND, find, methods=["POST"]),
        Route(PAGE + "/{code}", booking_page, methods=["GET"]),
        Route(PAGE + "/{code}/huy", cancel, methods=["POST"]),
        Route(HOME + "/{site}", procedures, methods=["GET"]),
        Route(HOME + "/{site}/{service}", choose, methods=["GET"]),
        Route(HOME + "/{site}/{service}", send, methods=["POST"]),
        Route(HOME + "/{site}/{service}/xac-nhan", confirm, methods=["POST"]),
    ]


# --- words ----------------------------------------------------------------------------------


def _site_name(site: SiteSettings, lang: Language) -> str:
    return site.name_en if lang is Language.ENGLISH and site.name_en else site.name_vi


def _service_name(procedure: ServiceSettings, lang: Language) -> str:
    return procedure.name_en if lang is Language.ENGLISH and procedure.name_en \
        else procedure.name_vi


def _field_name(item: FieldSettings, lang: Language) -> str:
    return item.name_en if lang is Language.ENGLISH and item.name_en else item.name_vi


def _field_of(site: SiteSettings, code: str, lang: Language) -> str:
    item = next((field for field in site.fields if field.code == code), None)
    return _field_name(item, lang) if item is not None else code


def _day(text: str, days: list[date]) -> date | None:
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return None
    return day if day in days else None


def _day_words(day: date, lang: Language) -> str:
    weekday = (ENGLISH_WEEKDAYS if lang is Language.ENGLISH else VIETNAMESE_WEEKDAYS)[
        day.weekday()]
    return f"{weekday} {day:%d/%m/%Y}"


def _day_label(day: date, today: date, lang: Language) -> str:
    """``Hôm nay 23/11``, ``Ngày mai 24/11``, ``Thứ Tư 25/11``."""
    english = lang is Language.ENGLISH
    if day == today:
        name = "Today" if english else "Hôm nay"
    elif day == today + timedelta(days=1):
        name = "Tomorrow" if english else "Ngày mai"
    else:
        name = (ENGLISH_WEEKDAYS if english else VIETNAMESE_WEEKDAYS)[day.weekday()]
        name = name[:1].upper() + name[1:]
    return f"{name} {day:%d/%m}"


def _when_text(site: SiteSettings, start: datetime | None, lang: Language) -> str:
    t = translator(lang)
    if start is None:
        return t("bk_now")
    local = start.astimezone(site.timezone)
    slot_end = local + timedelta(minutes=site.booking.slot_minutes)
    return t("bk_time_slot", start=f"{local:%H:%M}", end=f"{slot_end:%H:%M}",
             day=_day_words(local.date(), lang))
