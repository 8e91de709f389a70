"""``[server.sms]``: the SMS sender's settings, read, refused with a reason naming the key
(never a template's or header's value, which may hold the gateway's key), and written back."""

from __future__ import annotations

import copy
import importlib
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.booking.sms_format import BodyFormat, PhoneFormat
from server.config import ConfigError, parse_settings
from server.config.document import settings_document
from server.config.settings import DEFAULT_CODE_TEMPLATE, HttpMethod, SmsKind, SmsSettings
from server.config.toml_writer import toml_text

_loader_test: Any = importlib.import_module("tests.server.config.test_loader")
BASE: dict[str, Any] = _loader_test.BASE
KEY = "k3y-0f-the-gateway-Zq81"
GATEWAY: dict[str, Any] = {
    "kind": "http",
    "url_template": f"https://sms.example.vn/api/send?key={KEY}",
    "method": "POST",
    "body_format": "json",
    "body_template": '{"Phone": "{phone}", "Content": "{text}", "Brandname": "{sender}"}',
    "headers": {"Authorization": f"Bearer {KEY}", "X-Client": "qms"},
    "timeout_seconds": 5.0,
    "success_text": '"CodeResult":"100"',
    "phone_format": "international",
    "sender_name": "UBND-PHUONG",
    "code_template": "Ma dat lich: {code} ({minutes} phut)",
    "strip_diacritics": False,
}


def with_sms(sms: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data.setdefault("server", {})["sms"] = copy.deepcopy(sms)
    return data


def test_without_a_table_messages_go_to_the_log() -> None:
    settings = parse_settings(copy.deepcopy(BASE)).server.sms
    assert settings == SmsSettings()
    assert settings.kind is SmsKind.LOG
    assert settings.code_template == DEFAULT_CODE_TEMPLATE
    assert settings.strip_diacritics


def test_a_gateway_is_read_and_written_back() -> None:
    settings = parse_settings(with_sms(GATEWAY))
    sms = settings.server.sms
    assert sms.kind is SmsKind.HTTP
    assert sms.method is HttpMethod.POST
    assert sms.body_format is BodyFormat.JSON
    assert sms.phone_format is PhoneFormat.INTERNATIONAL
    assert sms.headers == (("Authorization", f"Bearer {KEY}"), ("X-Client", "qms"))
    assert sms.timeout_seconds == 5.0
    assert sms.success_text == '"CodeResult":"100"'
    assert sms.sender_name == "UBND-PHUONG"
    assert not sms.strip_diacritics
    # The templates and headers hold the key: never in the settings' repr (a log line).
    assert KEY not in repr(settings.server)
    text = toml_text(settings_document(settings))
    assert "[server.sms]" in text and "[server.sms.headers]" in text
    assert parse_settings(tomllib.loads(text)) == settings


def test_a_get_gateway_needs_no_body() -> None:
    sms = {"kind": "http", "method": "GET",
           "url_template": "http://10.0.0.5:8080/send?to={phone}&msg={text}&from={sender}"}
    assert parse_settings(with_sms(sms)).server.sms.method is HttpMethod.GET


def test_a_form_body_needs_no_json() -> None:
    sms = {"kind": "http", "url_template": "https://sms.example.vn/send",
           "body_format": "form", "body_template": "to={phone}&text={text}"}
    assert parse_settings(with_sms(sms)).server.sms.body_format is BodyFormat.FORM


Change = Callable[[dict[str, Any]], object]
CASES: list[tuple[str, Change, str, tuple[str, ...]]] = [
    ("http without an address", lambda sms: sms.pop("url_template"),
     "server.sms.url_template", ("is required when kind is 'http'",)),
    ("an ftp address", lambda sms: sms.update(url_template="ftp://sms.example.vn/{phone}"),
     "server.sms.url_template", ("http:// or https://",)),
    ("no host", lambda sms: sms.update(url_template="https:///send?to={phone}"),
     "server.sms.url_template", ("host",)),
    ("a placeholder in the host",
     lambda sms: sms.update(url_template="https://{phone}.example.vn/send"),
     "server.sms.url_template", ("host must be written out",)),
    ("a space in the address",
     lambda sms: sms.update(url_template="https://sms.example.vn/send ?to={phone}"),
     "server.sms.url_template", ("without spaces",)),
    ("a port that is no number",
     lambda sms: sms.update(url_template="https://sms.example.vn:port/send"),
     "server.sms.url_template", ("not a valid address",)),
    ("an unknown placeholder",
     lambda sms: sms.update(url_template="https://sms.example.vn/send?to={phone_number}"),
     "server.sms.url_template", ("unknown placeholder {phone_number}",)),
    ("no text anywhere", lambda sms: sms.update(body_template='{"Phone": "{phone}"}'),
     "server.sms.url_template", ("{text}",)),
    ("no phone anywhere", lambda sms: sms.update(body_template='{"Content": "{text}"}'),
     "server.sms.url_template", ("{phone}",)),
    ("a body for GET", lambda sms: sms.update(method="GET"),
     "server.sms.body_template", ("GET request has no body",)),
    ("a placeholder outside quotes in JSON",
     lambda sms: sms.update(body_template='{"Phone": {phone}, "Content": "{text}"}'),
     "server.sms.body_template", ("not valid JSON", "inside quotes")),
    ("an unknown method", lambda sms: sms.update(method="DELETE"),
     "server.sms.method", ("must be GET, POST or PUT",)),
    ("an unknown kind", lambda sms: sms.update(kind="smpp"),
     "server.sms.kind", ("must be log or http",)),
    ("a header value over two lines",
     lambda sms: sms["headers"].update(Authorization=f"Bearer {KEY}\r\nX-Evil: 1"),
     "server.sms.headers.Authorization", ("one line",)),
    ("a header name with a space", lambda sms: sms["headers"].update({"X Key": KEY}),
     "server.sms.headers.X Key", ("not a header name",)),
    ("a header that is a number", lambda sms: sms["headers"].update({"X-Key": 12345}),
     "server.sms.headers.X-Key", ("must be text",)),
    ("no wait", lambda sms: sms.update(timeout_seconds=0.0),
     "server.sms.timeout_seconds", ("more than 0",)),
    ("a wait of ten minutes", lambda sms: sms.update(timeout_seconds=600.0),
     "server.sms.timeout_seconds", ("at most 120",)),
    ("a message without the code", lambda sms: sms.update(code_template="Ma cua ban"),
     "server.sms.code_template", ("must hold {code}",)),
    ("a message with another placeholder",
     lambda sms: sms.update(code_template="{code} cho {phone}"),
     "server.sms.code_template", ("unknown placeholder {phone}",)),
    ("a message over two lines", lambda sms: sms.update(code_template="Ma:\n{code}"),
     "server.sms.code_template", ("one line",)),
    ("a message longer than one SMS", lambda sms: sms.update(code_template="{code} " + "x" * 160),
     "server.sms.code_template", ("167 characters; one SMS holds 160 of plain text",)),
    # With marks kept, one SMS holds 70 characters.
    ("an accented message longer than one unicode SMS",
     lambda sms: sms.update(code_template="Mã xác nhận đặt lịch của bạn là {code}, có hiệu "
                                          "lực trong {minutes} phút kể từ bây giờ."),
     "server.sms.code_template", ("one SMS holds 70 once",)),
    ("an unknown key", lambda sms: sms.update(url="https://sms.example.vn"),
     "server.sms.url", ("unknown key",)),
]


@pytest.mark.parametrize(("change", "key", "words"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_refused(change: Change, key: str, words: tuple[str, ...]) -> None:
    sms = copy.deepcopy(GATEWAY)
    change(sms)
    with pytest.raises(ConfigError) as caught:
        parse_settings(with_sms(sms))
    assert caught.value.key == key, str(caught.value)
    for word in words:
        assert word in caught.value.reason, caught.value.reason
    assert KEY not in str(caught.value)


def test_the_same_accented_message_fits_once_unaccented() -> None:
    template = ("Mã xác nhận đặt lịch của bạn là {code}, có hiệu lực trong {minutes} phút kể "
                "từ bây giờ.")
    sms = parse_settings(with_sms({"code_template": template})).server.sms
    assert sms.code_template == template and sms.strip_diacritics


def test_a_wrong_table_type_shows_no_header_value() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(with_sms({**GATEWAY, "headers": f"Authorization: {KEY}"}))
    assert caught.value.key == "server.sms.headers"
    assert KEY not in str(caught.value)


def test_the_gateway_examples_of_the_docs_are_valid() -> None:
    text = (Path(__file__).resolve().parents[3] / "docs" / "sms.md").read_text("utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) == 3
    for block in blocks:
        document = tomllib.loads(block)
        sms = parse_settings(with_sms(document["server"]["sms"])).server.sms
        assert sms.kind is SmsKind.HTTP and sms.url_template.startswith("https://")
