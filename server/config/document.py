"""Settings written back as the document they were read from (the reverse of the loader).

``parse_settings(settings_document(settings)) == settings`` for any settings the loader made:
the export a deployment's owner keeps, the seed of a new deployment, and what a form starts
from. Everything is written out, defaults included, so the document says what runs even if a
later version changes a default; a value that is absent (no daily limit, no secret given) is
left out, as TOML has no null. Secrets and password hashes are included: the document is for
the deployment's owner. It holds only text, whole numbers, finite numbers, booleans, lists
and tables, so it is as good as JSON as TOML (:func:`server.config.toml_writer.toml_text`).
"""

from __future__ import annotations

from typing import Any

from server.config.formats import days_text, hours_text, number_format_text, sessions_text
from server.config.hours import WEEKDAYS, OpeningHours
from server.config.settings import (
    AccountSettings,
    BookingSettings,
    CounterSettings,
    NumberGroup,
    OfficerSettings,
    ServerSettings,
    ServiceSettings,
    Settings,
    SiteSettings,
    SmsSettings,
    TokenSettings,
)

Document = dict[str, Any]


def settings_document(settings: Settings) -> Document:
    """The whole deployment: ``server``, ``accounts`` (when there are any) and ``sites``."""
    document: Document = {"server": server_document(settings.server)}
    if settings.accounts:
        document["accounts"] = [_account(item) for item in settings.accounts]
    document["sites"] = [site_document(site) for site in settings.sites]
    return document


def server_document(server: ServerSettings) -> Document:
    """The ``[server]`` table; the public URL written out even where it was derived."""
    document: Document = {"host": server.host, "port": server.port,
                          "public_url": server.public_url, "data_dir": str(server.data_dir)}
    if server.database_url:
        document["database_url"] = server.database_url
    if server.secret:
        document["secret"] = server.secret
    if server.admin_tokens:
        document["admin_tokens"] = list(server.admin_tokens)
    document.update(
        max_frame_bytes=server.max_frame_bytes,
        rate_per_second=server.rate_per_second,
        rate_burst=server.rate_burst,
        max_bad_frames=server.max_bad_frames,
        outgoing_queue_limit=server.outgoing_queue_limit,
        outgoing_queue_bytes=server.outgoing_queue_bytes,
        hello_timeout_seconds=server.hello_timeout_seconds,
        http_request_timeout_seconds=server.http_request_timeout_seconds,
        max_devices_per_connection=server.max_devices_per_connection,
        max_devices_per_site=server.max_devices_per_site,
        max_citizen_connections_per_address=server.max_citizen_connections_per_address,
        max_citizen_connections_per_ticket=server.max_citizen_connections_per_ticket,
        max_citizen_connections_per_site=server.max_citizen_connections_per_site,
        event_retention_days=server.event_retention_days,
        enrolment_code_hours=server.enrolment_code_hours,
        feedback_contact_days=server.feedback_contact_days,
        audit_retention_days=server.audit_retention_days,
        sms=sms_document(server.sms),
    )
    if server.tls_certificate is not None and server.tls_key is not None:
        document.update(tls_certificate=str(server.tls_certificate),
                        tls_key=str(server.tls_key))
    document["tls_minimum_version"] = server.tls_minimum_version.value
    if server.sites:
        document["sites"] = list(server.sites)
    if server.upstream is not None:
        upstream = server.upstream
        document["upstream"] = {"urls": list(upstream.urls), "site": upstream.site,
                                "token": upstream.token, "batch_bytes": upstream.batch_bytes,
                                "retry_seconds": upstream.retry_seconds}
        if upstream.ca_file is not None:
            document["upstream"]["ca_file"] = str(upstream.ca_file)
    return document


def sms_document(sms: SmsSettings) -> Document:
    """The ``[server.sms]`` table; the gateway's templates and headers only when given."""
    document: Document = {"kind": sms.kind.value}
    if sms.url_template:
        document["url_template"] = sms.url_template
    document["method"] = sms.method.value
    if sms.body_template:
        document["body_template"] = sms.body_template
    document["body_format"] = sms.body_format.value
    if sms.headers:
        document["headers"] = dict(sms.headers)
    document.update(timeout_seconds=sms.timeout_seconds, success_text=sms.success_text,
                    phone_format=sms.phone_format.value,
                    sender_name=sms.sender_name, code_template=sms.code_template,
                    strip_diacritics=sms.strip_diacritics)
    return document


def site_document(site: SiteSettings) -> Document:
    """One ``[[sites]]`` table, which :func:`server.config.loader.parse_site` reads back.

    Every number group is written under ``number_groups``, those a service had made for
    itself with ``numbers`` too (named after it, after the others: the order they had), and
    each service names its group; the settings read back are the same.
    """
    document: Document = {
        "code": site.code,
        "name_vi": site.name_vi,
        "name_en": site.name_en,
        "address": site.address,
        "timezone": site.timezone.key,
    }
    if site.issue_hours is not None:
        document["issue_hours"] = hours_text(site.issue_hours)
    if site.opening_hours is not None:
        document["opening_hours"] = hours_document(site.opening_hours)
    document.update(
        ticket_footer=site.ticket_footer,
        notice=site.notice,
        rating_window_seconds=site.rating_window_seconds,
        kiosk_rating=site.kiosk_rating,
        target_wait_minutes=site.target_wait_minutes,
        pause_alert_minutes=site.pause_alert_minutes,
        requeue_no_show=site.requeue_no_show,
        priority_policy={"kind": site.priority_policy.kind.value,
                         "priority": site.priority_policy.priority,
                         "normal": site.priority_policy.normal},
    )
    if site.priority_by_age is not None:
        document["priority_by_age"] = {"group": site.priority_by_age.group,
                                       "age": site.priority_by_age.age}
    if site.booking != BookingSettings():
        document["booking"] = booking_document(site.booking)
    if site.forwarded_from_centre:
        document["forwarded_from_centre"] = True
        if site.centre_url:
            document["centre_url"] = site.centre_url
    if site.priority_groups:
        document["priority_groups"] = [
            {"code": item.code, "name_vi": item.name_vi, "name_en": item.name_en}
            for item in site.priority_groups]
    document["rating_scale"] = [
        {"score": item.score, "label_vi": item.label_vi, "label_en": item.label_en}
        for item in site.rating_scale]
    document["fields"] = [{"code": item.code, "name_vi": item.name_vi, "name_en": item.name_en}
                          for item in site.fields]
    document["number_groups"] = [_number_group(item) for item in site.number_groups]
    document["services"] = [_service(item) for item in site.services]
    document["zones"] = [{"code": item.code, "name_vi": item.name_vi, "name_en": item.name_en}
                         for item in site.zones]
    document["counters"] = [_counter(item) for item in site.counters]
    if site.officers:
        document["officers"] = [_officer(item) for item in site.officers]
    if site.tokens:
        document["tokens"] = [_token(item) for item in site.tokens]
    return document


def booking_document(booking: BookingSettings) -> Document:
    """The ``[sites.booking]`` table, every key written (``hours`` when given)."""
    document: Document = {"enabled": booking.enabled, "number_now": booking.number_now,
                          "days_ahead": booking.days_ahead}
    if booking.hours is not None:
        document["hours"] = hours_document(booking.hours)
    document.update(
        slot_minutes=booking.slot_minutes, capacity=booking.capacity,
        services=list(booking.services), policy=booking.policy.value,
        check_in_early_minutes=booking.check_in_early_minutes,
        check_in_late_minutes=booking.check_in_late_minutes,
        per_person_per_day=booking.per_person_per_day,
        per_person_per_field_per_day=booking.per_person_per_field_per_day,
        open_per_person=booking.open_per_person,
        per_address_per_hour=booking.per_address_per_hour,
        reminder_minutes_before=booking.reminder_minutes_before,
        personal_data_days=booking.personal_data_days)
    return document


def _number_group(group: NumberGroup) -> Document:
    return {"code": group.code, "numbers": number_format_text(group.format)}


def _service(service: ServiceSettings) -> Document:
    document: Document = {
        "code": service.code,
        "field": service.field,
        "kind": service.kind.value,
        "name_vi": service.name_vi,
        "name_en": service.name_en,
        "number_group": service.number_group,
        "expected_minutes": service.expected_minutes,
    }
    if service.daily_limit is not None:
        document["daily_limit"] = service.daily_limit
    if service.target_wait_minutes is not None:
        document["target_wait_minutes"] = service.target_wait_minutes
    if service.priority_groups is not None:
        document["priority_groups"] = list(service.priority_groups)
    if service.opening_hours is not None:
        document["opening_hours"] = hours_document(service.opening_hours)
    return document


def hours_document(hours: OpeningHours) -> Document:
    """An ``opening_hours`` table: the weekdays given, then ``closed`` and ``exceptions``
    when there are any."""
    document: Document = {day: sessions_text(sessions)
                          for day, sessions in zip(WEEKDAYS, hours.week, strict=True)
                          if sessions is not None}
    if hours.closed:
        document["closed"] = [days_text(item) for item in hours.closed]
    if hours.exceptions:
        document["exceptions"] = [{"date": day.isoformat(), "hours": sessions_text(sessions)}
                                  for day, sessions in hours.exceptions]
    return document


def _counter(counter: CounterSettings) -> Document:
    return {"code": counter.code, "name": counter.name, "zone": counter.zone,
            "services": list(counter.services), "order": counter.order.value}


def _officer(officer: OfficerSettings) -> Document:
    document: Document = {"user": officer.user, "full_name": officer.full_name,
                          "password_hash": officer.password_hash, "active": officer.active}
    if officer.counters:
        document["counters"] = list(officer.counters)
    return document


def _token(token: TokenSettings) -> Document:
    document: Document = {"name": token.name, "role": token.role.value, "token": token.token}
    if token.counters:
        document["counters"] = list(token.counters)
    document.update(token.profile())
    return document


def _account(account: AccountSettings) -> Document:
    document: Document = {"user": account.user, "full_name": account.full_name,
                          "password_hash": account.password_hash, "role": account.role.value}
    if account.sites:
        document["sites"] = list(account.sites)
    return document
