"""The server over TLS, end to end on 127.0.0.1: a province's CA and a server certificate made
in the test, a real server serving https:// and wss:// on its one port, clients verifying it
with the CA file; and every refusal a person may meet (no CA file, another CA, a certificate
for another name or expired, plain ws:// to the TLS port, wss:// to a plain one), each
saying which server and why, none hurting the connections already open."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from support.certificates import TlsSetup, issue_server_certificate, make_ca, tls_setup
from support.servers import KIOSK_TOKEN, SITE, site_config
from support.web import WebClient, form_token, with_accounts
from websockets.exceptions import InvalidMessage

from server.app.certificate_reload import Outcome
from server.app.serve import RunningServer, start_server
from server.config import ConfigError, parse_settings
from server.protocol.client import ProtocolClient, TlsFailed
from server.protocol.enrolment_client import EnrolmentError, enrol
from server.protocol.tls import client_context, explain_failure
from server.web.sessions import SESSION_COOKIE


@pytest.fixture
def tls(tmp_path: Path) -> TlsSetup:
    return tls_setup(tmp_path, with_accounts(site_config()))


async def started(config: dict[str, object], folder: Path) -> RunningServer:
    return await start_server(parse_settings(config), host="127.0.0.1", port=0,
                              database_url=f"sqlite:///{folder / 'qms.sqlite3'}")


@pytest.fixture
async def tls_server(tls: TlsSetup, tmp_path: Path) -> AsyncIterator[RunningServer]:
    running = await started(tls.config, tmp_path)
    yield running
    await running.stop()


def kiosk(url: str, ca_file: Path | None) -> ProtocolClient:
    return ProtocolClient(url, "kiosk", KIOSK_TOKEN, SITE, open_timeout=5,
                          ca_file=None if ca_file is None else str(ca_file))


def fetch(url: str, context: ssl.SSLContext | None) -> tuple[int, dict[str, str], str]:
    with urllib.request.urlopen(url, timeout=10, context=context) as answer:
        return answer.status, dict(answer.headers), answer.read().decode("utf-8")


async def test_https_and_wss_on_one_port_verified_with_the_province_ca(
        tls_server: RunningServer, tls: TlsSetup) -> None:
    port = tls_server.port
    assert tls_server.ws_url == f"wss://127.0.0.1:{port}/ws"
    assert tls_server.service.server.public_url == f"https://127.0.0.1:{port}"
    ca_file = tls.authority.certificate_path
    async with kiosk(tls_server.ws_url, ca_file) as by_address, \
            kiosk(f"wss://localhost:{port}/ws", ca_file) as by_name:
        ticket = (await by_address.request("issue", service="HT", request_key="tls-1"))["ticket"]
        assert (await by_name.request("snapshot"))["seq"] >= 1
    # The QR code's address is https, and the page behind it is served verified, with HSTS.
    assert ticket["track_url"].startswith(f"https://127.0.0.1:{port}/t/")
    status, headers, page = await asyncio.to_thread(fetch, ticket["track_url"],
                                                    client_context(ca_file))
    assert status == 200 and ticket["number"] in page
    assert headers["strict-transport-security"] == "max-age=31536000"

    # A manager's session over https: its cookie is Secure (never sent over plain HTTP).
    manager = WebClient(tls_server.http_url, context=client_context(ca_file))
    answer = await manager.sign_in()
    assert answer.status == 200 and "/manage/site/" in answer.url, answer.body[:300]
    session = next(item for item in manager.cookies if item.name == SESSION_COOKIE)
    assert session.secure

    # Enrolment over https, verified with the same CA file, which is kept with the settings.
    admin = WebClient(tls_server.http_url, context=client_context(ca_file))
    assert (await admin.sign_in(user="quantri", next_page="/admin")).status == 200
    page_answer = await admin.get(f"/admin/site/{SITE}/devices")
    made = await admin.post(f"/admin/site/{SITE}/tokens/kiosk/enrol",
                            {"csrf": form_token(page_answer.body)})
    assert made.status == 200, made.body[:300]
    code = made.body.split('<code id="enrol-code">', 1)[1].split("<", 1)[0]
    with pytest.raises(EnrolmentError, match=rf"127\.0\.0\.1:{port} cannot be trusted"):
        await asyncio.to_thread(enrol, tls_server.http_url, code, "kiosk")
    enrolled = await asyncio.to_thread(enrol, tls_server.http_url, code, "kiosk",
                                       str(ca_file))
    assert enrolled.server == tls_server.ws_url and enrolled.token == KIOSK_TOKEN
    assert enrolled.ca_file == str(ca_file.resolve())


async def test_an_unknown_ca_is_refused_naming_the_server_and_what_to_do(
        tls_server: RunningServer, tls: TlsSetup, tmp_path: Path) -> None:
    where = f"127.0.0.1:{tls_server.port}"
    with pytest.raises(TlsFailed) as no_ca_file:
        await kiosk(tls_server.ws_url, None).connect()
    assert str(no_ca_file.value) == (
        f"the certificate of {where} cannot be trusted: unable to get local issuer "
        "certificate (trusting the system's trusted CAs); its CA is not trusted here: give "
        "the CA's certificate with --ca-file")
    other = make_ca(tmp_path, "Another province CA")
    with pytest.raises(TlsFailed, match=f"it was not issued by the CA in "
                                        f"{other.certificate_path}: give the right CA file"):
        await kiosk(tls_server.ws_url, other.certificate_path).connect()
    with pytest.raises(TlsFailed, match=r"CA file .*missing\.pem: no such file"):
        await kiosk(tls_server.ws_url, tmp_path / "missing.pem").connect()
    # Plain urllib (what a script would use) is not let through either.
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        await asyncio.to_thread(fetch, f"{tls_server.http_url}/health", None)


@pytest.mark.parametrize(("names", "expired", "expected"), [
    (("qms.tinh.example",), False,
     r"address mismatch.*the certificate was made for another name than '127\.0\.0\.1'"),
    (("localhost", "127.0.0.1"), True,
     r"certificate has expired .*renew the server's certificate"),
])
async def test_a_certificate_for_another_name_or_expired_is_refused(
        tmp_path: Path, names: tuple[str, ...], expired: bool, expected: str) -> None:
    authority = make_ca(tmp_path)
    files = issue_server_certificate(authority, tmp_path, names=names, expired=expired)
    config = site_config(tls_certificate=str(files.certificate), tls_key=str(files.key),
                         public_url="https://127.0.0.1:8765")
    running = await started(config, tmp_path)
    try:
        with pytest.raises(TlsFailed, match=expected):
            await kiosk(running.ws_url, authority.certificate_path).connect()
        with pytest.raises(EnrolmentError, match=expected):
            await asyncio.to_thread(enrol, running.http_url, "ABCD-EFGH", "kiosk",
                                    str(authority.certificate_path))
    finally:
        await running.stop()


async def test_plain_ws_to_the_tls_port_fails_cleanly_and_hurts_no_one(
        tls_server: RunningServer, tls: TlsSetup, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    plain = tls_server.ws_url.replace("wss://", "ws://", 1)
    async with kiosk(tls_server.ws_url, tls.authority.certificate_path) as working:
        with pytest.raises(InvalidMessage, match="did not receive a valid HTTP response"):
            await kiosk(plain, None).connect()
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            await asyncio.to_thread(fetch, tls_server.http_url.replace("https", "http"), None)

        def junk() -> None:  # bytes that are not TLS, then a closed socket
            with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as raw:
                raw.sendall(b"\x16\x03\x01\xff\xff" + b"x" * 4096)
                raw.settimeout(5)
                raw.recv(4096)  # an alert or the close; a hang would raise TimeoutError

        await asyncio.gather(*(asyncio.to_thread(junk) for _ in range(10)))
        # The connection that was open goes on.
        ticket = (await working.request("issue", service="HT", request_key="after"))["ticket"]
        assert ticket["service"] == "HT"
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_wss_to_a_plain_server_says_it_has_no_tls(server: RunningServer) -> None:
    with pytest.raises(TlsFailed, match=rf"127\.0\.0\.1:{server.port} did not answer with "
                                        r"TLS .*use ws:// or http://"):
        await kiosk(server.ws_url.replace("ws://", "wss://", 1), None).connect()
    status, headers, _ = await asyncio.to_thread(fetch, f"{server.http_url}/health", None)
    assert status == 200 and "strict-transport-security" not in headers


async def test_a_minimum_of_tls_1_3_refuses_1_2(tls: TlsSetup, tmp_path: Path) -> None:
    tls.config["server"]["tls_minimum_version"] = "1.3"
    running = await started(tls.config, tmp_path)
    try:
        old = client_context(tls.authority.certificate_path)
        old.maximum_version = ssl.TLSVersion.TLSv1_2
        with pytest.raises(urllib.error.URLError, match="UNEXPECTED_EOF") as refused:
            await asyncio.to_thread(fetch, f"{running.http_url}/health", old)
        assert isinstance(refused.value.reason, ssl.SSLError)
        assert explain_failure(refused.value.reason, running.http_url, None) == (
            f"127.0.0.1:{running.port} ended the TLS handshake (UNEXPECTED_EOF_WHILE_READING): "
            "it may ask for a newer TLS version than this machine offers (its "
            "tls_minimum_version)")

        status, _, _ = await asyncio.to_thread(
            fetch, f"{running.http_url}/health", client_context(tls.authority.certificate_path))
        assert status == 200
    finally:
        await running.stop()


async def test_a_certificate_broken_after_loading_stops_the_start(
        tls: TlsSetup, tmp_path: Path) -> None:
    settings = parse_settings(tls.config)
    tls.files.key.write_text("not a key", "ascii")
    with pytest.raises(ConfigError, match=r"^tls_key: .*server\.key holds no PEM private key"):
        await start_server(settings, host="127.0.0.1", port=0,
                           database_url=f"sqlite:///{tmp_path / 'qms.sqlite3'}")


def served_serial(running: RunningServer, ca_file: Path) -> int:
    """The serial number of the certificate a new connection to ``running`` is served."""
    context = client_context(ca_file)
    with socket.create_connection(("127.0.0.1", running.port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as wrapped:
        der = wrapped.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der).serial_number


def serial_of(path: Path) -> int:
    return x509.load_pem_x509_certificate(path.read_bytes()).serial_number


async def test_a_renewed_certificate_is_taken_up_without_a_restart(
        tls: TlsSetup, tls_server: RunningServer, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    ca_file = tls.authority.certificate_path
    reloader = tls_server.certificates
    assert reloader is not None
    first = await asyncio.to_thread(served_serial, tls_server, ca_file)
    assert first == serial_of(tls.files.certificate)
    open_kiosk = kiosk(tls_server.ws_url, ca_file)
    await open_kiosk.connect()
    assert reloader.check() is Outcome.UNCHANGED

    # Renewed in place (the same two files), as a renewal tool does.
    renewed = issue_server_certificate(tls.authority, tmp_path)
    assert renewed == tls.files and serial_of(renewed.certificate) != first
    assert reloader.check() is Outcome.RELOADED
    assert await asyncio.to_thread(served_serial, tls_server, ca_file) == \
        serial_of(renewed.certificate)
    # The connection opened before goes on with its own.
    ticket = await open_kiosk.request("issue", service="HT", request_key="after-renewal")
    assert ticket["ticket"]["number"] == "A001"
    await open_kiosk.close()

    # A renewal caught half-written (a key that is not a key): refused, said once, and the
    # certificate in use stays.
    good_key = renewed.key.read_bytes()
    renewed.key.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n", "utf-8")
    caplog.set_level(logging.ERROR, logger="server.app.certificate_reload")
    assert reloader.check() is Outcome.REFUSED
    assert reloader.check() is Outcome.REFUSED
    said = [record.getMessage() for record in caplog.records
            if record.name == "server.app.certificate_reload"]
    assert len(said) == 1 and str(renewed.certificate) in said[0] and "stays" in said[0]
    assert await asyncio.to_thread(served_serial, tls_server, ca_file) == \
        serial_of(renewed.certificate)
    # Another CA's certificate with its key: taken up, and a client trusting only the
    # province's CA refuses it (the reload does not bypass what clients check).
    (tmp_path / "other").mkdir()
    other = issue_server_certificate(make_ca(tmp_path / "other", "Another CA"), tmp_path)
    assert other == tls.files
    assert reloader.check() is Outcome.RELOADED
    with pytest.raises(ssl.SSLCertVerificationError):
        await asyncio.to_thread(served_serial, tls_server, ca_file)
    assert good_key != other.key.read_bytes()
    assert reloader.reloads == 2
