"""What a change of a site's configuration would do to today's queue (pure).

The administration pages change a running centre. Most changes are safe at once (a new
service, a counter renamed, a notice); some would break the day (a service removed while
people wait for it) and are **refused** until the queue allows them; some change what people
see or what the reports mean, and need the administrator to **confirm** with the consequence
stated. Every impact names the configuration key it comes from, relative to the site
(``services[3]``, ``counters[Q05]`` for a removed one), and says why in Vietnamese and English.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from server.config.settings import SiteSettings
from server.domain.model import QUEUED_STATUSES, CounterStatus, SiteState


class ImpactLevel(StrEnum):
    REFUSED = "refused"
    CONFIRM = "confirm"


@dataclass(frozen=True, slots=True)
class Impact:
    """One consequence of a change: ``key`` where it comes from, ``message`` what it does:
    the Vietnamese, ``" / "``, then the English (a command line shows both)."""

    level: ImpactLevel
    key: str
    message: str

    def text(self, english: bool = False) -> str:
        """The message in one language (a page shows its reader's)."""
        vietnamese, _, in_english = self.message.partition(" / ")
        return in_english if english and in_english else vietnamese


def site_change_impacts(old: SiteSettings, new: SiteSettings,
                        state: SiteState) -> list[Impact]:
    """What replacing ``old`` by ``new`` does to the day ``state`` holds."""
    impacts: list[Impact] = []
    impacts += _services(old, new, state)
    impacts += _counters(old, new, state)
    impacts += _numbering(old, new, state)
    impacts += _officers_and_tokens(old, new, state)
    impacts += _ratings(old, new, state)
    if old.timezone != new.timezone and state.tickets:
        impacts.append(Impact(ImpactLevel.CONFIRM, "timezone",
                              "Đổi múi giờ khi đã có phiếu trong ngày: ngày làm việc và giờ "
                              "trên báo cáo theo múi giờ mới. / Changing the time zone with "
                              "tickets today: the business day and report hours follow "
                              "the new zone."))
    return impacts


def removed_site_impacts(site: SiteSettings, state: SiteState,
                         connected: Sequence[str] = ()) -> list[Impact]:
    """What removing ``site`` would do: refused while it has tickets or open counters today,
    or devices connected (``connected``: their tokens' labels); else what goes with it."""
    impacts = []
    if state.tickets or any(counter.status is not CounterStatus.CLOSED
                            for counter in state.counters.values()):
        impacts.append(Impact(
            ImpactLevel.REFUSED, site.code,
            f"Trung tâm {site.code} đang có phiếu hoặc quầy mở hôm nay; gỡ bỏ sau khi kết thúc "
            f"ngày. / Site {site.code} has tickets or open counters today; remove it after "
            "the day ends."))
    if connected:
        names = ", ".join(sorted(connected))
        impacts.append(Impact(
            ImpactLevel.REFUSED, f"{site.code}.tokens",
            f"Thiết bị của trung tâm {site.code} đang kết nối ({names}): thu hồi mã thiết bị "
            f"(Mã thiết bị) hoặc tắt thiết bị trước. / Devices of site {site.code} are "
            f"connected ({names}): revoke their tokens (Device tokens) or switch them off "
            "first."))
    if impacts:
        return impacts
    tokens = len(site.tokens)
    return [Impact(ImpactLevel.CONFIRM, site.code,
                   f"Trung tâm {site.code} bị gỡ khỏi cấu hình: không thiết bị nào kết nối được "
                   f"nữa ({tokens} mã thiết bị hết hiệu lực) và trang đặt lịch không còn nhận; "
                   "phiếu và lịch sử của trung tâm vẫn giữ trong cơ sở dữ liệu, và khôi phục "
                   "một phiên bản cũ sẽ đưa trung tâm trở lại. / Site "
                   f"{site.code} leaves the configuration: no device can connect to it any "
                   f"more ({tokens} device tokens void) and the booking pages drop it; its "
                   "tickets and history stay in the database, and restoring an earlier "
                   "version brings the site back.")]


def _services(old: SiteSettings, new: SiteSettings, state: SiteState) -> list[Impact]:
    impacts = []
    kept = {service.code for service in new.services}
    for service in old.services:
        if service.code in kept:
            continue
        key = f"services[{service.code}]"
        waiting = sum(1 for ticket in state.tickets.values()
                      if ticket.service == service.code and ticket.status in QUEUED_STATUSES)
        if waiting:
            impacts.append(Impact(ImpactLevel.REFUSED, key,
                                  f"Còn {waiting} người đang chờ thủ tục {service.code}: gọi hoặc "
                                  f"chuyển họ trước khi bỏ thủ tục. / {waiting} people wait for "
                                  f"{service.code}: call or transfer them before removing it."))
        elif any(ticket.service == service.code for ticket in state.tickets.values()):
            impacts.append(Impact(ImpactLevel.CONFIRM, key,
                                  f"Các phiếu hôm nay của {service.code} vẫn giữ mã thủ tục trong "
                                  f"báo cáo; ki-ốt không còn cấp số cho thủ tục này. / Today's "
                                  f"tickets of {service.code} keep its code in the reports; the "
                                  "kiosks stop issuing it."))
    return impacts


def _counters(old: SiteSettings, new: SiteSettings, state: SiteState) -> list[Impact]:
    impacts = []
    kept = {counter.code for counter in new.counters}
    for counter in old.counters:
        if counter.code in kept:
            continue
        key = f"counters[{counter.code}]"
        running = state.counter(counter.code)
        transferred = state.counter_queues.get(counter.code)
        if running.status is not CounterStatus.CLOSED or running.ticket_id is not None:
            impacts.append(Impact(ImpactLevel.REFUSED, key,
                                  f"Quầy {counter.code} đang làm việc: cán bộ đăng xuất trước. / "
                                  f"Counter {counter.code} is in use: its officer logs out "
                                  "first."))
        elif transferred:
            impacts.append(Impact(ImpactLevel.REFUSED, key,
                                  f"{len(transferred)} phiếu đang chờ được chuyển tới quầy "
                                  f"{counter.code}. / {len(transferred)} tickets wait, "
                                  f"transferred to counter {counter.code}."))
    return impacts


def _numbering(old: SiteSettings, new: SiteSettings, state: SiteState) -> list[Impact]:
    impacts = []
    for group in old.number_groups:
        issued = state.last_sequence.get(group.code, 0)
        if not issued:
            continue
        key = f"number_groups[{group.code}]"
        changed = new.number_group(group.code)
        if changed is None:
            if any(service.number_group == group.code for service in new.services):
                continue  # cannot happen: the models refuse a service naming no group
            impacts.append(Impact(ImpactLevel.CONFIRM, key,
                                  f"Nhóm số {group.code} đã cấp {issued} số hôm nay; các phiếu giữ "
                                  f"số của chúng. / Group {group.code} gave {issued} numbers "
                                  "today; those tickets keep them."))
            continue
        capacity = changed.format.capacity
        if capacity is not None and capacity < issued:
            impacts.append(Impact(ImpactLevel.REFUSED, key,
                                  f"Dải số mới chỉ có {capacity} số, hôm nay đã cấp {issued}. / "
                                  f"The new range has {capacity} numbers; {issued} were issued "
                                  "today."))
        elif changed.format != group.format:
            impacts.append(Impact(ImpactLevel.CONFIRM, key,
                                  f"Số tiếp theo của nhóm {group.code} sẽ là "
                                  f"{changed.format.render(issued + 1)} (trước: "
                                  f"{group.format.render(issued + 1)}). / The next number of "
                                  f"group {group.code} will be {changed.format.render(issued + 1)} "
                                  f"(was {group.format.render(issued + 1)})."))
    return impacts


def _officers_and_tokens(old: SiteSettings, new: SiteSettings,
                         state: SiteState) -> list[Impact]:
    impacts = []
    # Removing or disabling an officer who is logged in would leave a counter nobody may
    # work at: they log out first.
    users = {officer.user for officer in new.officers if officer.active}
    for counter in state.counters.values():
        if counter.officer is not None and counter.officer not in users:
            impacts.append(Impact(ImpactLevel.REFUSED, f"officers[{counter.officer}]",
                                  f"Cán bộ {counter.officer} đang làm việc tại quầy "
                                  f"{counter.code}: đăng xuất trước. / Officer "
                                  f"{counter.officer} is working at counter {counter.code}: "
                                  "log out first."))
    tokens = {token.token for token in new.tokens}
    for token in old.tokens:
        if token.token not in tokens:
            impacts.append(Impact(ImpactLevel.CONFIRM, f"tokens[{token.name}]",
                                  f"Thiết bị dùng mã '{token.name}' sẽ bị ngắt và không kết nối "
                                  f"lại được. / The devices using '{token.name}' are disconnected"
                                  " and refused from now on."))
    return impacts


def _ratings(old: SiteSettings, new: SiteSettings, state: SiteState) -> list[Impact]:
    scores = {label.score for label in new.rating_scale}
    stray = sorted({rating.score for rating in state.ratings.values()
                    if rating.score not in scores})
    if old.rating_scale != new.rating_scale and stray:
        return [Impact(ImpactLevel.CONFIRM, "rating_scale",
                       f"Đánh giá hôm nay có điểm {', '.join(map(str, stray))} không còn trên "
                       f"thang mới. / Today's ratings with score {', '.join(map(str, stray))} "
                       "are not on the new scale.")]
    return []

