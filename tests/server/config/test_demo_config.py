"""The bundled demo configuration loads and describes a realistic deployment."""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from importlib import resources
from pathlib import Path

import pytest

from server.config import (
    CallOrder,
    PriorityPolicyKind,
    Role,
    ServiceKind,
    Settings,
    SiteSettings,
    load_settings,
    parse_settings,
)
from server.security import verify_password

DEMO_PASSWORD = "demo1234"
PROVINCE = "hcc-tinh"
WARD = "ubnd-phuong-1"


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(None)


@pytest.fixture(scope="module")
def province(settings: Settings) -> SiteSettings:
    site = settings.site(PROVINCE)
    assert site is not None
    return site


@pytest.fixture(scope="module")
def ward(settings: Settings) -> SiteSettings:
    site = settings.site(WARD)
    assert site is not None
    return site


def test_bundled_file_is_the_one_in_the_package(settings: Settings) -> None:
    path = Path(str(resources.files("server.config").joinpath("demo.toml")))
    assert load_settings(path) == settings


def test_server_section(settings: Settings) -> None:
    server = settings.server
    assert server.host == "127.0.0.1"
    assert server.port == 8765
    assert server.public_url == "http://127.0.0.1:8765"
    assert server.data_dir == Path("data")
    assert len(server.secret) >= 32
    assert server.admin_tokens == ("demo-admin-token-0001",)


def test_one_server_serves_a_province_and_a_ward(settings: Settings) -> None:
    assert [site.code for site in settings.sites] == [PROVINCE, WARD]


def test_province_identity(province: SiteSettings) -> None:
    assert province.name_vi == "Trung tâm Phục vụ hành chính công tỉnh Bình An"
    assert province.name_en
    assert province.address
    assert "Cảm ơn" in province.ticket_footer
    assert "ưu tiên" in province.notice.lower()
    assert province.timezone.key == "Asia/Ho_Chi_Minh"
    # The demo must issue tickets at any hour.
    assert province.issue_hours is None
    assert province.rating_window_seconds == 30


def test_issue_hours_example_is_only_a_comment() -> None:
    text = resources.files("server.config").joinpath("demo.toml").read_text("utf-8")
    assert '# issue_hours = "07:00-17:00"' in text
    assert "\nissue_hours" not in text


def test_province_fields_keep_vietnamese_names(province: SiteSettings) -> None:
    assert len(province.fields) >= 12
    names = {field.name_vi for field in province.fields}
    assert {"Đất đai", "Tư pháp - Hộ tịch", "Đăng ký kinh doanh", "Xây dựng",
            "Lao động - Thương binh và Xã hội", "Giao thông vận tải", "Y tế",
            "Giáo dục và Đào tạo", "Văn hóa, Thể thao và Du lịch", "Nội vụ"} <= names
    assert all(field.name_en for field in province.fields)


def test_every_field_has_a_service(province: SiteSettings, ward: SiteSettings) -> None:
    for site in (province, ward):
        used = {service.field for service in site.services}
        assert used == {field.code for field in site.fields}, site.code


def test_province_services(province: SiteSettings) -> None:
    assert len(province.services) >= 25
    kinds = {service.kind for service in province.services}
    assert {ServiceKind.SUBMIT, ServiceKind.COLLECT} <= kinds
    names = {service.name_vi for service in province.services}
    assert "Chứng thực bản sao từ bản chính" in names
    assert "Cấp Phiếu lý lịch tư pháp" in names
    land_submit, land_collect = province.service("DD-NOP"), province.service("DD-TRA")
    assert land_submit is not None and land_submit.kind is ServiceKind.SUBMIT
    assert land_collect is not None and land_collect.kind is ServiceKind.COLLECT
    for service in province.services:
        if service.kind is ServiceKind.COLLECT:
            assert 3 <= service.expected_minutes <= 5, service.code
        elif service.kind is ServiceKind.SUBMIT:
            assert 8 <= service.expected_minutes <= 20, service.code


def test_number_formats_use_both_styles(province: SiteSettings, ward: SiteSettings) -> None:
    for site in (province, ward):
        formats = [group.format for group in site.number_groups]
        assert any(number_format.prefix is not None for number_format in formats), site.code
        assert any(number_format.prefix is None for number_format in formats), site.code
    land = province.number_group("dat-dai")
    assert land is not None and land.format.render(1) == "1001"
    labour = province.number_group("lao-dong")
    assert labour is not None and labour.format.render(12) == "A012"


def test_services_share_number_groups(province: SiteSettings) -> None:
    land_services = [item for item in province.services if item.number_group == "dat-dai"]
    assert len(land_services) >= 2


def test_priority_groups_and_policy(province: SiteSettings, ward: SiteSettings) -> None:
    for site in (province, ward):
        names = {group.name_vi for group in site.priority_groups}
        assert {"Người cao tuổi", "Người khuyết tật", "Phụ nữ mang thai",
                "Người có công với cách mạng"} <= names, site.code
        assert site.priority_policy.kind is PriorityPolicyKind.INTERLEAVE
        assert (site.priority_policy.priority, site.priority_policy.normal) == (1, 2)


def test_rating_scale_is_the_default_four(province: SiteSettings, ward: SiteSettings) -> None:
    expected = [(4, "Rất hài lòng"), (3, "Hài lòng"), (2, "Bình thường"), (1, "Không hài lòng")]
    for site in (province, ward):
        assert [(label.score, label.label_vi) for label in site.rating_scale] == expected


def test_province_counters_and_zones(province: SiteSettings) -> None:
    assert len(province.zones) >= 2
    assert len(province.counters) >= 10
    assert {counter.zone for counter in province.counters} == {zone.code for zone in province.zones}
    assert any(counter.order is CallOrder.ARRIVAL for counter in province.counters)
    assert all(counter.name.startswith("Quầy ") for counter in province.counters)
    land_counter = province.counter("Q01")
    assert land_counter is not None
    assert land_counter.services.index("DD-NOP") < land_counter.services.index("DD-TRA")


def test_every_counter_service_exists_and_every_service_is_served(
    province: SiteSettings, ward: SiteSettings
) -> None:
    for site in (province, ward):
        for counter in site.counters:
            for code in counter.services:
                assert site.service(code) is not None, (site.code, counter.code, code)
        for service in site.services:
            assert site.counters_serving(service.code), (site.code, service.code)


def test_officers(province: SiteSettings, ward: SiteSettings) -> None:
    assert len(province.officers) >= 12
    assert len(ward.officers) == 5
    for site in (province, ward):
        assert any(not officer.counters for officer in site.officers), site.code
        for officer in site.officers:
            assert officer.password_hash.startswith("scrypt$")
            assert officer.full_name
            for counter in officer.counters:
                assert site.counter(counter) is not None
        # Each hash has its own salt.
        hashes = [officer.password_hash for officer in site.officers]
        assert len(set(hashes)) == len(hashes)
    first = province.officer("nguyenvana")
    assert first is not None and first.full_name == "Nguyễn Văn An"


@pytest.mark.parametrize(("site_code", "user"), [(PROVINCE, "nguyenvana"), (WARD, "tranvanbinh")])
def test_demo_password_verifies(settings: Settings, site_code: str, user: str) -> None:
    site = settings.site(site_code)
    assert site is not None
    officer = site.officer(user)
    assert officer is not None
    assert verify_password(DEMO_PASSWORD, officer.password_hash)
    assert not verify_password("wrong-password", officer.password_hash)


def test_tokens_cover_every_role(province: SiteSettings, ward: SiteSettings) -> None:
    by_token = {token.token: token.role for token in province.tokens}
    assert by_token["demo-kiosk-token-0001"] is Role.KIOSK
    assert by_token["demo-kiosk-token-0002"] is Role.KIOSK
    assert by_token["demo-counter-token-0001"] is Role.COUNTER
    assert by_token["demo-display-token-0001"] is Role.DISPLAY
    assert by_token["demo-bridge-token-0001"] is Role.BRIDGE
    bridge = next(token for token in province.tokens if token.role is Role.BRIDGE)
    assert bridge.counters == ("Q01", "Q02")  # the demo bus map's counters
    # Admin tokens are server-wide ([server] admin_tokens), managers sign in with accounts,
    # citizens' phones say their ticket's tracking code, a centre's own server is only for a
    # site fed by its centre (not the demo's); every device role has a token here.
    assert {token.role for token in ward.tokens} == set(Role) - {Role.ADMIN, Role.MANAGER,
                                                                 Role.CITIZEN, Role.CENTRE}
    # Each centre has its own tokens.
    assert not {token.token for token in ward.tokens} & set(by_token)


def test_ward_is_small_and_in_one_zone(ward: SiteSettings) -> None:
    assert len(ward.zones) == 1
    assert 5 <= len(ward.counters) <= 6
    assert "Đăng ký khai sinh" in {service.name_vi for service in ward.services}


def _commented_settings() -> list[tuple[int, list[str]]]:
    """The demo's commented-out settings (examples and defaults shown), each with the number
    of its first line: a ``# key = value`` line, or a commented table (``# [table]``) with
    the commented lines under it, which go together."""
    text = resources.files("server.config").joinpath("demo.toml").read_text("utf-8")
    lines = text.splitlines()
    found: list[tuple[int, list[str]]] = []
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        if not line.startswith("# ") or not _is_toml(line[2:]):
            continue  # prose
        if not line[2:].lstrip().startswith("["):
            found.append((number - 1, [line]))
            continue
        block = [line]
        while number < len(lines) and lines[number].startswith("# "):
            block.append(lines[number])
            number += 1
        found.append((number - len(block), block))
    return found


def _is_toml(text: str) -> bool:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return False
    return True


def _example_key(block: list[str]) -> str:
    """``max_frame_bytes`` for a line, ``sites.opening_hours`` for a table."""
    first = block[0][2:]
    if first.lstrip().startswith("["):
        return first.split("]")[0].strip("[ ")
    return first.split(" = ")[0]


def test_the_commented_examples_are_found() -> None:
    keys = {_example_key(block) for _, block in _commented_settings()}
    assert {"database_url", "max_frame_bytes", "event_retention_days", "issue_hours",
            "sites.opening_hours"} <= keys


@pytest.mark.parametrize(("number", "block"), _commented_settings(),
                         ids=[_example_key(block) + f"@{number + 1}"
                              for number, block in _commented_settings()])
def test_each_commented_example_is_valid_where_it_stands(
    settings: Settings, number: int, block: list[str]
) -> None:
    text = resources.files("server.config").joinpath("demo.toml").read_text("utf-8")
    lines = text.splitlines()
    lines[number:number + len(block)] = [line[2:] for line in block]
    changed = parse_settings(tomllib.loads("\n".join(lines)))
    key = _example_key(block)
    if key == "sites.opening_hours":
        # A real centre's week: the lunch break, Saturday morning, the 2027 holidays.
        schedule = changed.sites[0].schedule()
        assert not schedule.is_open(datetime(2027, 3, 1, 12, 0))
        assert schedule.is_open(datetime(2027, 3, 6, 8, 0))
        assert all(not schedule.sessions_on(day) for day in HOLIDAYS_2027)
        assert schedule.sessions_on(date(2027, 2, 20))  # the make-up Saturday's afternoon
    elif key not in {"database_url", "issue_hours"}:
        # The server's limits are shown with their defaults: uncommented, nothing changes.
        assert changed == settings, key


# Vietnam's public holidays of 2027 for state offices: New Year, Tết (29 Tết to the 5th),
# the Hùng Kings (10/3 lunar), 30/4, 1/5 and its day in lieu (a Saturday), 2/9 and the 3rd.
HOLIDAYS_2027 = (date(2027, 1, 1), *(date(2027, 2, day) for day in range(4, 11)),
                 date(2027, 4, 16), date(2027, 4, 30), date(2027, 5, 1), date(2027, 5, 3),
                 date(2027, 9, 2), date(2027, 9, 3))


def test_only_the_ward_land_submissions_keep_hours_so_the_demo_works_at_any_time(
        settings: Settings) -> None:
    for site in settings.sites:
        assert site.opening_hours is None and site.issue_hours is None, site.code
        for service in site.services:
            if (site.code, service.code) != (WARD, "DD-NOP"):
                assert site.schedule(service.code).always_open, (site.code, service.code)
    ward = settings.site(WARD)
    assert ward is not None
    land = ward.schedule("DD-NOP")
    # Working-day mornings; the afternoons, weekends and 2027 holidays closed.
    assert land.is_open(datetime(2027, 3, 1, 7, 30)) and land.is_open(datetime(2027, 3, 5, 11, 29))
    assert not land.is_open(datetime(2027, 3, 1, 11, 30))
    assert not land.is_open(datetime(2027, 3, 6, 9, 0)) and not land.is_open(
        datetime(2027, 3, 7, 9, 0))
    assert all(not land.sessions_on(day) for day in HOLIDAYS_2027)
    assert land.next_opening(datetime(2027, 2, 3, 12, 0)) == datetime(2027, 2, 11, 7, 30)
