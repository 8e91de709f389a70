"""SMS senders: the log sender (phone masked, last messages kept) and the HTTP gateway
sender against a real HTTP server on 127.0.0.1 standing in for the gateway: the request it
gets (method, address, body, headers), and every failure an SmsError that names the host
and the status but never the message's code, the phone or the gateway's key."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from server.booking.sms import (
    HttpGatewaySender,
    LogSender,
    SmsError,
    code_message,
    sender_from_settings,
)
from server.booking.sms_format import BodyFormat, PhoneFormat
from server.config import parse_settings
from server.config.settings import SmsSettings
from server.logs import QUIET_LOGGERS

KEY = "gateway-key-Zq81x"
CODE = "482916"
TEXT = f"Mã xác nhận đặt lịch của bạn là {CODE}, hiệu lực 5 phút."
PHONE = "0912345678"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Gateway:
    """A local HTTP server answering as told, recording each request it gets."""

    url: str
    received: list[Received] = field(default_factory=list)
    status: int = 200
    # Statuses for the next requests, first first; then ``status``.
    statuses: list[int] = field(default_factory=list)
    answer: bytes = b'{"CodeResult":"100"}'
    extra_headers: dict[str, str] = field(default_factory=dict)
    # While set, the gateway holds each request without answering (a hung gateway).
    hold: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    state: Gateway

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            state.received.append(Received(self.command, self.path, dict(self.headers), body))
            state.arrived.set()
            if state.hold:
                state.release.wait(10)
                return
            self.send_response(state.statuses.pop(0) if state.statuses else state.status)
            for name, value in state.extra_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(state.answer)))
            self.end_headers()
            self.wfile.write(state.answer)

        do_GET = do_POST = do_PUT = _serve  # noqa: N815 -- http.server's names

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state = Gateway(url=f"http://127.0.0.1:{server.server_address[1]}")
    # A short poll, so that shutdown() returns at once rather than after 0.5 s.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def quiet_loggers() -> Iterator[None]:
    """Other libraries' loggers at the levels the server's logging sets (httpx's request
    lines hold the address filled in), restored after."""
    before = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


def json_sender(gateway: Gateway, **options: Any) -> HttpGatewaySender:
    return HttpGatewaySender(
        gateway.url + f"/api/SendMultipleMessage_V4_post_json?key={KEY}", "POST",
        '{"Phone": "{phone}", "Content": "{text}", "Brandname": "{sender}", "SmsType": "2"}',
        {"Authorization": f"Bearer {KEY}"}, 5, sender_name="UBND-PHUONG", **options)


def assert_nothing_secret(text: str) -> None:
    for secret in (CODE, PHONE, PHONE[1:], KEY):
        assert secret not in text, text


async def test_a_json_gateway_gets_the_message(gateway: Gateway) -> None:
    tricky = TEXT + ' "trích dẫn" \\ {text} {phone}\nhết'
    await json_sender(gateway).send("+84 912 345 678", tricky)
    (request,) = gateway.received
    assert request.method == "POST"
    path = urlsplit(request.path)
    assert path.path == "/api/SendMultipleMessage_V4_post_json"
    assert parse_qs(path.query) == {"key": [KEY]}
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    # The values are JSON-escaped in place, filled once: a value reading {text} stays so.
    assert json.loads(request.body) == {"Phone": PHONE, "Content": tricky,
                                        "Brandname": "UBND-PHUONG", "SmsType": "2"}


async def test_a_get_gateway_gets_the_values_in_its_address(gateway: Gateway) -> None:
    sender = HttpGatewaySender(
        gateway.url + "/send?to={phone}&msg={text}&from={sender}&user=qms", "GET",
        phone_format=PhoneFormat.INTERNATIONAL, sender_name="TT HCC", unaccented=True)
    await sender.send(PHONE, TEXT + " & b=c?#d")
    (request,) = gateway.received
    assert request.method == "GET" and request.body == b""
    path = urlsplit(request.path)
    assert path.path == "/send"
    assert parse_qs(path.query) == {
        "to": ["84912345678"], "user": ["qms"], "from": ["TT HCC"],
        "msg": [f"Ma xac nhan dat lich cua ban la {CODE}, hieu luc 5 phut. & b=c?#d"]}


async def test_a_form_gateway_gets_a_form(gateway: Gateway) -> None:
    sender = HttpGatewaySender(gateway.url + "/sms", "PUT", "to={phone}&text={text}",
                               {"X-Api-Key": KEY}, body_format=BodyFormat.FORM,
                               phone_format=PhoneFormat.E164)
    await sender.send(PHONE, TEXT)
    (request,) = gateway.received
    assert request.method == "PUT"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["X-Api-Key"] == KEY
    assert parse_qs(request.body.decode("ascii")) == {"to": ["+84912345678"], "text": [TEXT]}


async def test_a_content_type_given_is_kept(gateway: Gateway) -> None:
    sender = json_sender(gateway)
    sender.headers["content-type"] = "text/json"
    await sender.send(PHONE, TEXT)
    assert gateway.received[0].headers["content-type"] == "text/json"
    assert "application/json" not in str(gateway.received[0].headers)


async def test_marks_are_taken_off_when_asked(gateway: Gateway) -> None:
    await json_sender(gateway, unaccented=True).send(PHONE, "Đặt lịch: Nguyễn Thị Ánh")
    assert json.loads(gateway.received[0].body)["Content"] == "Dat lich: Nguyen Thi Anh"


@pytest.mark.parametrize(("status", "said"), [
    (500, "answered 500 Internal Server Error"), (401, "answered 401 Unauthorized"),
    (302, "answered 302 Found"), (599, "answered 599")])
async def test_an_answer_but_2xx_is_an_error(gateway: Gateway, caplog: pytest.LogCaptureFixture,
                                             status: int, said: str) -> None:
    gateway.status = status
    gateway.answer = f"error for {PHONE}: {CODE} key {KEY}".encode()
    gateway.extra_headers = {"Location": gateway.url + "/elsewhere"}
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SmsError) as caught:
        await json_sender(gateway).send(PHONE, TEXT)
    message = str(caught.value)
    assert message == f"the SMS gateway 127.0.0.1 {said}"
    assert_nothing_secret(message)
    assert len(gateway.received) == 1  # a redirect is not followed
    assert "091****678" in caplog.text and said in caplog.text
    assert_nothing_secret(caplog.text)
    assert caught.value.__suppress_context__ or caught.value.__context__ is None


async def test_a_2xx_without_the_success_text_is_an_error(gateway: Gateway) -> None:
    gateway.answer = b'{"CodeResult":"101","ErrorMessage":"Authorize Failed"}'
    with pytest.raises(SmsError, match="without the success_text") as caught:
        await json_sender(gateway, success_text='"CodeResult":"100"').send(PHONE, TEXT)
    assert "Authorize" not in str(caught.value)
    gateway.answer = b'{"CodeResult":"100","SMSID":"1"}'
    await json_sender(gateway, success_text='"CodeResult":"100"').send(PHONE, TEXT)


async def test_a_gateway_that_does_not_answer_times_out(
        gateway: Gateway, caplog: pytest.LogCaptureFixture) -> None:
    gateway.hold = True
    sender = json_sender(gateway)
    sender.timeout_seconds = 0.3
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SmsError) as caught:
        await sender.send(PHONE, TEXT)
    assert gateway.arrived.is_set()
    assert str(caught.value) == "the SMS gateway 127.0.0.1 did not answer within 0.3 s"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert_nothing_secret(caplog.text)


async def test_no_gateway_listening_is_an_error(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago, now closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    caplog.set_level(logging.DEBUG)
    sender = HttpGatewaySender(f"http://127.0.0.1:{port}/send?key={KEY}",
                               body_template='{"to": "{phone}", "text": "{text}"}')
    with pytest.raises(SmsError,
                       match=r"could not reach the SMS gateway 127\.0\.0\.1 \(no connection"
                       ) as caught:
        await sender.send(PHONE, TEXT)
    assert_nothing_secret(str(caught.value))
    assert_nothing_secret(caplog.text)


async def test_a_number_that_is_no_mobile_is_not_sent(gateway: Gateway) -> None:
    with pytest.raises(SmsError, match="cannot send an SMS to that number"):
        await json_sender(gateway).send("024 3822 1234", TEXT)
    assert gateway.received == []


def test_templates_that_cannot_work_are_refused() -> None:
    with pytest.raises(ValueError, match="url_template must start with http"):
        HttpGatewaySender("ftp://sms.example.vn/{phone}/{text}")
    with pytest.raises(ValueError, match="body_template is not valid JSON"):
        HttpGatewaySender("https://sms.example.vn/send", "POST", '{"to": {phone}}')
    with pytest.raises(ValueError, match="GET request has no body"):
        HttpGatewaySender("https://sms.example.vn/send", "GET", '{"to": "{phone}"}')
    with pytest.raises(ValueError, match="'DELETE' is not a valid HttpMethod"):
        HttpGatewaySender("https://sms.example.vn/send", "DELETE")
    assert KEY not in repr(HttpGatewaySender(f"https://sms.example.vn/send?key={KEY}"))


async def test_the_log_sender_masks_the_phone(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="server.booking.sms")
    sender = LogSender()
    await sender.send("+84 912 345 678", TEXT)
    assert caplog.messages == [f"SMS to 091****678: {TEXT}"]
    assert PHONE not in caplog.text
    assert sender.sent == [(PHONE, TEXT)]
    with pytest.raises(SmsError):
        await sender.send("12345", TEXT)
    assert len(sender.sent) == 1


async def test_the_log_sender_keeps_only_the_last_messages() -> None:
    sender = LogSender(keep=3, unaccented=True)
    for index in range(5):
        await sender.send(PHONE, f"Tin số {index}")
    assert sender.sent == [(PHONE, f"Tin so {index}") for index in (2, 3, 4)]


def test_the_code_message() -> None:
    assert code_message(SmsSettings(), CODE, 5) == (
        f"Ma xac nhan dat lich cua ban la {CODE}, hieu luc 5 phut.")
    settings = SmsSettings(code_template="Mã {code} dùng trong {minutes} phút")
    assert code_message(settings, CODE, 10) == f"Mã {CODE} dùng trong 10 phút"


def test_the_settings_choose_the_log_by_default() -> None:
    sender = sender_from_settings(SmsSettings())
    assert isinstance(sender, LogSender) and sender.unaccented


async def test_the_settings_describe_a_working_gateway(gateway: Gateway) -> None:
    loader: Any = __import__("tests.server.config.test_loader", fromlist=["BASE"])
    document = tomllib.loads(f"""
[server.sms]
kind = "http"
url_template = "{gateway.url}/MainService.svc/json/SendMultipleMessage_V4_post_json/"
method = "POST"
body_format = "json"
body_template = '''{{"ApiKey": "{KEY}", "Phone": "{{phone}}", "Content": "{{text}}",
                   "Brandname": "{{sender}}", "SmsType": "2"}}'''
success_text = '"CodeResult":"100"'
sender_name = "UBND-PHUONG"
timeout_seconds = 5.0
[server.sms.headers]
X-Client = "qms"
""")
    data = dict(loader.BASE)
    data["server"] = {**data.get("server", {}), **document["server"]}
    settings = parse_settings(data).server.sms
    sender = sender_from_settings(settings)
    assert isinstance(sender, HttpGatewaySender)
    await sender.send(PHONE, code_message(settings, CODE, 5))
    (request,) = gateway.received
    assert request.path == "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
    assert request.headers["X-Client"] == "qms"
    assert json.loads(request.body) == {
        "ApiKey": KEY, "Phone": PHONE, "Brandname": "UBND-PHUONG", "SmsType": "2",
        "Content": f"Ma xac nhan dat lich cua ban la {CODE}, hieu luc 5 phut."}


def test_a_server_logging_at_debug_logs_nothing_secret(gateway: Gateway) -> None:
    """The server's own logging set-up (configure_logging, at DEBUG) around a GET gateway,
    whose address holds the phone and the message: the log holds neither, nor the key."""
    gateway.statuses = [200, 500]
    script = f"""
import asyncio, logging, sys
from server.logs import configure_logging
from server.booking.sms import HttpGatewaySender, SmsError
configure_logging("server", logging.DEBUG, stream=sys.stderr, environment={{}})
sender = HttpGatewaySender({gateway.url + "/send?key=" + KEY + "&to={phone}&text={text}"!r},
                           "GET")
for attempt in range(2):
    try:
        asyncio.run(sender.send({PHONE!r}, {TEXT!r}))
    except SmsError as error:
        logging.getLogger("test").error("refused: %s", error)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "SMS to 091****678 sent through 127.0.0.1" in done.stderr
    assert "refused: the SMS gateway 127.0.0.1 answered 500 Internal Server Error" in done.stderr
    assert len(gateway.received) == 2
    assert CODE in gateway.received[0].path  # the code did go to the gateway
    assert_nothing_secret(done.stderr)
