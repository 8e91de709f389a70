"""The hostile-input suite over HTTP: more than 2,000 hostile requests across every route of
the application, signed out and signed in (as this site's manager and administrator, as the
province, and as a manager and an administrator of another site), against a real
``qms server`` process on a real SQLite file.

The routes are read from the application itself, so a page added later is attacked too.
Requests are written byte by byte (support.hostile.raw_http): wrong methods, bodies over the
form's limit (sent, or only declared), bodies that are not UTF-8 or not a form, too many
fields, missing, wrong or another session's CSRF token, a foreign or ``null`` ``Origin``,
``Sec-Fetch-Site: cross-site``, forged and foreign session cookies, path traversal in
``/static``, ``/display/assets`` and the voice clips, junk and broken percent-escapes in the
path and the query, targets that are not even valid HTTP, and headers of up to 12 KiB.

For every request: an answer comes (the server neither closes on it nor stalls), never a
5xx; an answer that refuses is a 4xx with a short plain text, HTML or JSON message and no
traceback; a request that would change something (every non-GET) is refused or sent to the
sign-in page; a redirect never leads off the server; a traversal never returns a file from
outside. After every batch the database's rows are exactly what they were and the server
still answers an honest kiosk at once; at the end its log holds no traceback and no error.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlencode

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from starlette.routing import Mount, Route
from support.hostile import (
    OTHER_ADMINISTRATOR,
    OTHER_MANAGER,
    HostileServer,
    HttpAnswer,
    database_digest,
    digest_changes,
    honest_issue,
    http_request,
    raw_http,
    server_with_client_loop,
)
from support.servers import SITE
from support.web import OTHER_SITE, WebClient, form_token, two_sites

REQUEST_TARGET = 2_000
EXAMPLES = 100
BATCH = (20, 26)
PARALLEL = 6
HONEST_LATENCY_SECONDS = 2.0
SESSION_COOKIE = "qms_session"
# Text that only a file outside the static folders holds (the project's own files).
OUTSIDE_MARKERS = (b"[tool.pytest", b"root:x:0:0", b"[project]", b"import ")
SAFE_METHODS = {"GET", "HEAD"}
WRONG_METHODS = ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO", "POST", "GET", "HEAD"]


@dataclass(frozen=True)
class Page:
    """A route of the application: its path template and methods (a mount serves files
    under its path)."""

    template: str
    methods: frozenset[str]
    files: bool = False


def application_pages() -> list[Page]:
    """Every route and mount of the HTTP application, read from a real one."""
    from server.app.http import _pages
    from server.app.serve import start_server
    from server.config import parse_settings

    async def read(directory: Path) -> list[Page]:
        running = await start_server(parse_settings(two_sites()), host="127.0.0.1", port=0,
                                     database_url=f"sqlite:///{directory / 'routes.sqlite3'}")
        try:
            application = _pages(running.service, "sqlite")
        finally:
            await running.stop()
        merged: dict[str, set[str]] = {}
        pages = []
        for route in application.routes:
            if isinstance(route, Mount):
                pages.append(Page(route.path + "/{file:path}", frozenset(SAFE_METHODS), True))
            else:
                assert isinstance(route, Route)
                merged.setdefault(route.path, set()).update(route.methods or ())
        pages += [Page(path, frozenset(methods)) for path, methods in merged.items()]
        return pages

    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        return asyncio.run(read(Path(directory)))


# --- what a request is made of --------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """Who sends a request: no one, a signed-in account (its session cookie and the CSRF
    token of its forms), or a forged session."""

    name: str
    cookie: str | None = None
    csrf: str | None = None


class HostileRequest:
    """One request's bytes, and what went into it (for the checks and the tally)."""

    def __init__(self, raw: bytes, method: str, page: Page, identity: str,
                 defects: tuple[str, ...], traversal: bool) -> None:
        self.raw = raw
        self.method = method
        self.page = page
        self.identity = identity
        self.defects = defects
        self.traversal = traversal

    def __repr__(self) -> str:  # a failure prints it: short, not field by field
        shown = self.raw if len(self.raw) <= 400 else self.raw[:400] + b"..."
        return f"HostileRequest({self.identity}, {self.defects}, {shown!r})"


TRAVERSALS = [
    "../../../pyproject.toml", "..%2f..%2f..%2fpyproject.toml",
    "%2e%2e/%2e%2e/%2e%2e/pyproject.toml", "%2e%2e%2f%2e%2e%2f%2e%2e%2fpyproject.toml",
    "....//....//....//pyproject.toml", "..\\..\\..\\pyproject.toml",
    "%252e%252e/%252e%252e/pyproject.toml", "%c0%ae%c0%ae/%c0%ae%c0%ae/pyproject.toml",
    "/etc/passwd", "%2fetc%2fpasswd", "../../../../../../etc/passwd",
    "..%5c..%5c..%5cpyproject.toml", "x/../../../../server/cli.py", "%00../../pyproject.toml",
    "favicon.png%00.txt", ".%2e/.%2e/.%2e/pyproject.toml",
]
JUNK_PARAMETERS = [
    "..", "%2e%2e", "%00", "%ff%fe", "%c0%ae", "%zz", "a" * 3000, "%0d%0aSet-Cookie:%20x=1",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "'%20OR%201=1--", "%E2%80%AE", "%F0%9F%98%80",
    "H%C3%A0%20N%E1%BB%99i", "-1", "99999999999999999999999999", "0x10", "%20", "new",
    "services", "counters", "officers", "1", "HT", "A001", SITE, OTHER_SITE,
    f"{SITE}%2f..", "null", "undefined", "%25",
]
# Targets no HTTP parser should take: raw bytes, spaces and control characters.
BROKEN_TARGETS = [b"/static/\xff\xfe", b"/t/a b", b"/health\x00", b"/manage\r\nX: y",
                  b"http://evil.example/health", b"*", b"/%", b"//evil.example/x"]
QUERY_JUNK = st.one_of(
    st.dictionaries(st.text(max_size=12), st.text(max_size=40), max_size=5).map(urlencode),
    st.sampled_from(["%zz=%ff", "a=%ff%fe%fd", "&&&==&=", "next=//evil.example",
                     "next=https://evil.example/", "next=%2F%2Fevil.example", "lang=xx",
                     "site=" + OTHER_SITE, "site=../../etc", "from=2026-02-30&to=9999-99-99",
                     "page=-1", "page=99999999999999999999", "code=%00", "k=" + "k" * 5000,
                     "t=" + "%ff" * 100, "format=exe", "q=" + "x" * 8000]))

# A defect the server checks whatever else the post holds: such a post can carry a valid
# CSRF token and still be refused (so a signed-in post never goes through here).
HARD_DEFECTS = ["foreign_origin", "null_origin", "cross_site", "oversized", "declared_oversized",
                "not_utf8", "too_many_fields"]
SOFT_DEFECTS = ["no_csrf", "wrong_csrf", "another_sessions_csrf", "not_a_form"]
FORM_TYPE = (b"Content-Type", b"application/x-www-form-urlencoded")
FORM_FIELDS = st.dictionaries(st.sampled_from(
    ["user", "password", "next", "code", "score", "k", "site", "text", "category", "name_vi",
     "phone", "answer", "state", "id_number", "service", "slot"]),
    st.text(max_size=30), max_size=6)
OTHER_CONTENT_TYPES = st.sampled_from([b"application/json", b"multipart/form-data; boundary=x",
                                       b"text/plain", b"application/x-www-form-urlencoded; "
                                       b"charset=latin-1"])
ENROL_BODIES = st.sampled_from([b"{", b"[]", b'{"code": 1}', b'{"code": "' + b"x" * 70 + b'"}',
                                b'{"code": "ABCD-EFGH", "role": "admin"}',
                                b'{"code": "\\ud800"}', b"\xff\xfe"])
JUNK_COOKIES = st.sampled_from(["", "x", "=;=;", "%ff", "a" * 4000, '"\\"'])
SESSIONS = st.sampled_from(["own", "own", "own", "forged", "junk", "none"])
HEADER_PADDING = st.sampled_from([0, 0, 0, 2_000, 12_000])
ONE_IN = {count: st.integers(0, count - 1).map(lambda value: value == 0)
          for count in (2, 3, 4, 5, 7, 40)}


class RequestStrategies:
    """The strategies of hostile requests to ``pages`` from ``identities``, built once
    (building a strategy costs far more than drawing from it)."""

    def __init__(self, pages: list[Page], identities: list[Identity], track: str) -> None:
        self.pages = st.sampled_from(pages)
        self.identities = st.sampled_from(identities)
        parameter = st.one_of(st.sampled_from([*JUNK_PARAMETERS, track]),
                              st.text(min_size=1, max_size=20).map(_escaped))
        real = st.sampled_from([SITE, OTHER_SITE, track, "HT", "services", "counters", "1"])
        self.parameter = st.one_of(real, parameter)
        self.file = st.one_of(st.sampled_from(TRAVERSALS).map(lambda path: (path, True)),
                              st.sampled_from(["favicon.png", "app.js", "x", "%00", ""]).map(
                                  lambda path: (path, False)))
        self.right_methods = {page: st.sampled_from(sorted(page.methods)) for page in pages}
        self.wrong_methods = {page: st.sampled_from([name for name in WRONG_METHODS
                                                     if name not in page.methods])
                              for page in pages}
        self.other_csrf = {identity.name: st.sampled_from(
            [other.csrf for other in identities
             if other.csrf is not None and other.name != identity.name])
            for identity in identities}
        self.hard = st.lists(st.sampled_from(HARD_DEFECTS), max_size=2, unique=True)
        self.soft = st.sampled_from(SOFT_DEFECTS)
        self.oversize = st.integers(25 * 1024, 40 * 1024)
        self.broken_targets = st.sampled_from(BROKEN_TARGETS)
        self.requests = st.composite(self._request)()

    def _path(self, draw: st.DrawFn, page: Page) -> tuple[str, bool]:
        """``page``'s template with each parameter filled (real codes, junk, or traversal
        for a file path); whether it is a traversal."""
        path = page.template
        traversal = False
        for parameter in re.findall(r"\{[^}]+\}", page.template):
            if parameter.endswith(":path}"):
                value, traversal = draw(self.file)
            else:
                value = draw(self.parameter)
            path = path.replace(parameter, value, 1)
        return path, traversal

    def _request(self, draw: st.DrawFn) -> HostileRequest:
        page = draw(self.pages)
        identity = draw(self.identities)
        path, traversal = self._path(draw, page)
        defects: list[str] = []
        if draw(ONE_IN[5]):
            method = draw(self.wrong_methods[page])
            defects.append("wrong_method")
        else:
            method = draw(self.right_methods[page])
        if draw(ONE_IN[3]):
            path += "?" + draw(QUERY_JUNK)
            defects.append("query_junk")
        target = path.encode("ascii", "backslashreplace")
        if draw(ONE_IN[40]):
            target = draw(self.broken_targets)
            defects.append("broken_target")
        headers: list[tuple[bytes, bytes]] = []
        session = draw(SESSIONS)
        if session == "own" and identity.cookie is not None:
            headers.append((b"Cookie", f"{SESSION_COOKIE}={identity.cookie}".encode()))
        elif session == "forged" and identity.cookie is not None:
            forged = identity.cookie[:-4] + "AAAA"
            headers.append((b"Cookie", f"{SESSION_COOKIE}={forged}".encode()))
            defects.append("forged_session")
        elif session == "junk":
            headers.append((b"Cookie", f"{SESSION_COOKIE}={draw(JUNK_COOKIES)}".encode()))
            defects.append("junk_session")
        padding = draw(HEADER_PADDING)
        if padding:
            headers.append((b"X-Padding", b"p" * padding))
            defects.append("huge_header")
        if draw(ONE_IN[7]):
            headers += [(f"X-Many-{index}".encode(), b"v") for index in range(80)]
            defects.append("many_headers")
        if draw(ONE_IN[7]):
            headers.append((b"Accept-Language", b"\xff\xfe;q=abc, *;q=2"))
            defects.append("bad_language")
        body = b""
        declared: int | None = None
        if method not in SAFE_METHODS:
            body, declared = self._body(draw, identity, page, defects, headers)
        raw = http_request(method.encode("ascii"), target, headers, body, declared)
        return HostileRequest(raw, method, page, identity.name, tuple(defects), traversal)

    def _body(self, draw: st.DrawFn, identity: Identity, page: Page, defects: list[str],
              headers: list[tuple[bytes, bytes]]) -> tuple[bytes, int | None]:
        """A body with at least one defect (added to ``defects``, its headers to
        ``headers``); a valid CSRF token only beside a hard defect."""
        hard = draw(self.hard)
        soft = draw(self.soft)
        fields = draw(FORM_FIELDS)
        if hard and identity.csrf is not None and draw(ONE_IN[2]):
            fields["csrf"] = identity.csrf
        elif soft == "wrong_csrf":
            fields["csrf"] = draw(st.text(min_size=1, max_size=40))
        elif soft == "another_sessions_csrf":
            fields["csrf"] = draw(self.other_csrf[identity.name])
        defects += [*hard, soft]
        body = urlencode(fields).encode()
        declared = None
        if soft == "not_a_form":
            headers.append((b"Content-Type", draw(OTHER_CONTENT_TYPES)))
            body = json.dumps({key: value for key, value in fields.items()
                               if key != "csrf"}).encode()
        elif page.template == "/enrol":  # a device's enrolment posts JSON
            headers.append((b"Content-Type", b"application/json"))
            body = draw(ENROL_BODIES)
        else:
            headers.append(FORM_TYPE)
        if "foreign_origin" in hard:
            headers.append((b"Origin", b"http://evil.example"))
        if "null_origin" in hard:
            headers.append((b"Origin", b"null"))
        if "cross_site" in hard:
            headers.append((b"Sec-Fetch-Site", b"cross-site"))
        if "not_utf8" in hard:
            body += b"&text=\xff\xfe\xc3"
        if "too_many_fields" in hard:
            body += b"".join(b"&f%d=1" % index for index in range(40))
        if "oversized" in hard:
            body += b"&text=" + b"x" * draw(self.oversize)
        if "declared_oversized" in hard:
            declared = 10 * 1024 * 1024
        return body, declared


def _escaped(text: str) -> str:
    return quote(text, safe="")


# --- the checks ----------------------------------------------------------------------------


REFUSAL_TYPES = ("text/plain", "text/html", "application/json")
OWN_ORIGINS = ("http://127.0.0.1/", "http://127.0.0.1:")


def check_answer(request: HostileRequest, answer: HttpAnswer) -> None:
    where = f"{request!r} -> {answer.status} {answer.headers} {answer.body[:300]!r}"
    assert answer.status != 0, f"no answer: {where}"
    assert answer.status < 500, where
    assert b"Traceback" not in answer.body and b"Exception" not in answer.body, where
    location = answer.headers.get("location", "")
    if 300 <= answer.status < 400:
        # Our own pages redirect to a path; Starlette's "no trailing slash" redirect names the
        # host the request named (Host: 127.0.0.1 here).
        assert (location.startswith("/") and not location.startswith(("//", "/\\"))) \
            or location.startswith(OWN_ORIGINS), f"a redirect off the server: {where}"
    if answer.status >= 400:
        kind = answer.headers.get("content-type", "")
        assert kind.startswith(REFUSAL_TYPES) or not answer.body, where
        assert len(answer.body) <= 200_000, where
    if request.method not in SAFE_METHODS:
        # Refused, or sent to sign in first (a page for signed-in accounts; also a wrong
        # method where another route of the path takes it: /manage/feedback/{item}).
        to_sign_in = answer.status == 303 and location.startswith("/manage/sign-in")
        assert 400 <= answer.status < 500 or to_sign_in or _slash_redirect(request, answer), \
            f"a hostile {request.method} went through: {where}"
    if "broken_target" in request.defects:
        assert 400 <= answer.status < 500, where
    if request.traversal:
        assert not any(marker in answer.body for marker in OUTSIDE_MARKERS), where
        assert answer.status >= 400 or answer.headers.get("content-type", "").startswith(
            ("image/", "text/javascript", "application/javascript", "text/css")), where


def _slash_redirect(request: HostileRequest, answer: HttpAnswer) -> bool:
    """Starlette's redirect of a path that ends with a slash to the same path without it
    (307: the client would repeat its method there); nothing was carried out."""
    target = unquote(request.raw.split(b" ", 2)[1].decode("ascii", "replace").split("?")[0])
    location = answer.headers.get("location", "")
    if answer.status != 307 or not location.startswith(OWN_ORIGINS):
        return False
    path = unquote(location.split("/", 3)[3].split("?")[0])
    return target.endswith("/") and "/" + path == target.rstrip("/")


@dataclass
class HttpTally:
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    pages: Counter[str] = field(default_factory=Counter)
    identities: Counter[str] = field(default_factory=Counter)
    defects: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)


class HttpAttack:
    def __init__(self, server: HostileServer, loop: asyncio.AbstractEventLoop) -> None:
        self.server = server
        self.loop = loop
        self.tally = HttpTally()
        self.examples = 0
        self._pending: concurrent.futures.Future[None] | None = None

    def run(self, batch: list[HostileRequest]) -> None:
        """Send ``batch`` while hypothesis makes the next one: the previous batch must be
        done first, and its failure (naming the request) is raised here."""
        self.finish()
        self._pending = asyncio.run_coroutine_threadsafe(self._batch(batch), self.loop)

    def finish(self) -> None:
        """Wait for the batch in flight; raise its failure."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result(timeout=120)

    async def _batch(self, batch: list[HostileRequest]) -> None:
        self.examples += 1
        self.server.assert_alive()
        before = database_digest(self.server.database_path)
        slots = asyncio.Semaphore(PARALLEL)

        async def send(request: HostileRequest) -> None:
            async with slots:
                answer = await raw_http(self.server.port, request.raw)
            check_answer(request, answer)
            self.tally.sent += 1
            self.tally.statuses[answer.status] += 1
            self.tally.pages[request.page.template] += 1
            self.tally.identities[request.identity] += 1
            self.tally.defects.update(request.defects)

        async with asyncio.timeout(60):
            await asyncio.gather(*(send(request) for request in batch))
        after = database_digest(self.server.database_path)
        assert after == before, f"hostile requests changed rows: {digest_changes(before, after)}"
        ticket, latency = await honest_issue(self.server.ws_url, f"honest-web-{self.examples}")
        assert ticket["status"] == "waiting" and latency < HONEST_LATENCY_SECONDS, latency
        self.tally.latencies.append(latency)
        honest = database_digest(self.server.database_path)  # a change is seen
        assert honest["tickets"][0] == after["tickets"][0] + 1, digest_changes(after, honest)


async def _identity(http_url: str, name: str, user: str | None) -> Identity:
    if user is None:
        return Identity(name)
    client = WebClient(http_url)
    await client.sign_in(user=user)
    page = await client.get("/manage")
    cookie = client.cookie(SESSION_COOKIE)
    assert cookie is not None, page.body[:300]
    return Identity(name, cookie, form_token(page.body))


@dataclass
class Prepared:
    attack: HttpAttack
    identities: list[Identity]
    track: str
    pages: list[Page]


@pytest.fixture
def prepared(tmp_path: Path) -> Iterator[Prepared]:
    with server_with_client_loop(tmp_path, "hostile-http") as (server, loop):

        async def prepare() -> tuple[list[Identity], str]:
            await server.start()
            ticket, _latency = await honest_issue(server.ws_url, "followed")
            identities = [await _identity(server.http_url, name, user) for name, user in (
                ("signed_out", None), ("manager", "giamdoc"), ("administrator", "quantri"),
                ("province", "tinh"), ("other_sites_manager", OTHER_MANAGER),
                ("other_sites_administrator", OTHER_ADMINISTRATOR))]
            return identities, ticket["track"]

        starting = asyncio.run_coroutine_threadsafe(prepare(), loop)
        pages = application_pages()  # while the server process starts
        identities, track = starting.result(90)
        yield Prepared(HttpAttack(server, loop), identities, track, pages)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Generating overly large repr")
def test_hostile_requests_are_refused_change_nothing_and_never_stop_the_server(
    prepared: Prepared,
) -> None:
    started = time.monotonic()
    attack = prepared.attack
    requests = RequestStrategies(prepared.pages, prepared.identities, prepared.track).requests

    # No shrinking: a failure names the request that failed, and shrinking batches of real
    # requests took minutes.
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.large_base_example])
    @given(batch=st.lists(requests, min_size=BATCH[0], max_size=BATCH[1]))
    def example(batch: list[HostileRequest]) -> None:
        attack.run(batch)

    example()
    attack.finish()
    tally = attack.tally
    assert tally.sent >= REQUEST_TARGET, tally
    missing = {page.template for page in prepared.pages} - set(tally.pages)
    assert not missing, f"never attacked: {sorted(missing)}"
    assert set(tally.identities) == {identity.name for identity in prepared.identities}
    server = attack.server
    asyncio.run_coroutine_threadsafe(server.stop(), attack.loop).result(timeout=60)
    assert server.process is not None and server.process.returncode == 0, server.log[-20:]
    assert server.log_problems() == []
    assert any("refused" in line for line in server.log)  # the log was read
    print(f"\n{attack.examples} batches, {tally.sent} requests over {len(prepared.pages)} "
          f"routes in {time.monotonic() - started:.1f} s; statuses {dict(tally.statuses)}; "
          f"defects {dict(tally.defects)}; honest issue max "
          f"{max(tally.latencies) * 1000:.0f} ms")
