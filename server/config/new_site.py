"""What a centre added from the administration pages starts with.

A site needs a field, a service, a zone and a counter before its configuration is valid (the
models of :mod:`server.config.models`); a province's IT officer adding a ward gives only its
code, names and time zone, so the rest starts as a small working centre to be changed in its
sections: one general procedure (numbers ``A001``...) served at counter 1 in the main hall,
the priority groups the law names, office hours (Monday to Friday, 07:30-11:30 and
13:30-17:00), and no device token yet (a kiosk joins once one is made).
"""

from __future__ import annotations

from typing import Any

OFFICE_HOURS = "07:30-11:30, 13:30-17:00"


def new_site_document(code: str, name_vi: str, name_en: str = "",
                      timezone: str = "Asia/Ho_Chi_Minh") -> dict[str, Any]:
    """The ``[[sites]]`` table of a new centre: the values given (checked by the
    configuration's rules when saved, like any change; one left empty is left out, for the
    rules to say it is required or to take its default) and the defaults above."""
    given = {"code": code, "name_vi": name_vi, "name_en": name_en, "timezone": timezone}
    document: dict[str, Any] = {key: value for key, value in given.items() if value}
    document.update(
        opening_hours={day: OFFICE_HOURS for day in
                       ("monday", "tuesday", "wednesday", "thursday", "friday")},
        fields=[{"code": "CHUNG", "name_vi": "Thủ tục hành chính", "name_en":
                 "Administrative procedures"}],
        services=[{"code": "CHUNG", "name_vi": "Tiếp nhận và trả kết quả hồ sơ",
                   "name_en": "Filing and collecting", "field": "CHUNG", "numbers": "A###"}],
        priority_groups=[
            {"code": "cao-tuoi", "name_vi": "Người cao tuổi", "name_en": "Elderly people"},
            {"code": "khuyet-tat", "name_vi": "Người khuyết tật",
             "name_en": "People with disabilities"},
            {"code": "mang-thai", "name_vi": "Phụ nữ mang thai", "name_en": "Pregnant women"},
            {"code": "nguoi-co-cong", "name_vi": "Người có công với cách mạng",
             "name_en": "People with meritorious services to the revolution"}],
        zones=[{"code": "SANH", "name_vi": "Sảnh chính", "name_en": "Main hall"}],
        counters=[{"code": "1", "name": "Quầy 1", "zone": "SANH", "services": ["CHUNG"]}],
    )
    return document
