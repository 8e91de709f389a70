"""Sign-in, sign-out and who is signed in, for every web page behind a sign-in.

One module decides who the request is (:func:`signed_in`), and :mod:`server.web.access`
which sites they may see. Sign-in is slowed per account and address like an officer's at a
counter (:class:`server.app.throttle.SignInThrottle`, shared), each failure logged with the
address. The sign-in form is protected by a double-submit token; every form after it by the
session's CSRF token (:mod:`server.web.sessions`). Each sign-in, failed sign-in and sign-out
is recorded in the audit log with the address (server.audit); :func:`web_actor` is who every
other page's recorded action comes from.
"""

from __future__ import annotations

import hmac
import logging
import math
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from server.app.runtime import QueueService
from server.app.security_headers import policy_with_form_targets
from server.audit.model import UNKNOWN_USER, Action, Actor, ActorKind, Channel
from server.config.settings import AccountRole, AccountSettings
from server.security import PasswordHashError, verify_password
from server.web.forms import FormRefused, read_form
from server.web.sessions import SESSION_COOKIE, SIGN_IN_COOKIE, WebSession
from server.web.templating import page
from server.web.texts import Language, language_of, translator

logger = logging.getLogger(__name__)

SIGN_IN_PATH = "/manage/sign-in"
SIGN_OUT_PATH = "/manage/sign-out"
FORM_LIMIT = 2048
LANGUAGE_COOKIE = "qms_lang"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The request's session and account, and whether its cookie is due a renewal."""

    session: WebSession
    account: AccountSettings
    renewed: WebSession | None


def client_address(request: Request) -> str:
    """The peer's IP address (a proxy's, behind one)."""
    return request.client.host if request.client else "unknown"


def web_actor(request: Request, account: AccountSettings | None) -> Actor:
    """Who acts on a web page: ``account`` (an administrator when it administers, else a
    manager), from the request's address. ``None`` (a sign-in with a name that is no
    account's): :data:`UNKNOWN_USER`, since the name typed may be a password typed in the
    wrong field."""
    if account is None:
        return Actor(ActorKind.MANAGER, UNKNOWN_USER, Channel.WEB, client_address(request))
    kind = ActorKind.MANAGER if account.role is AccountRole.MANAGER else \
        ActorKind.ADMINISTRATOR
    return Actor(kind, account.user, Channel.WEB, client_address(request))


def language(request: Request) -> Language:
    """The page language: ``?lang=`` when given (and remembered), else the cookie's."""
    return language_of(request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE))


def signed_in(service: QueueService, request: Request) -> SignedIn | None:
    """Who the request comes from, or ``None`` (no session, expired, signed out, an account
    that no longer exists)."""
    keeper = service.web_sessions
    session = keeper.read(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    account = service.accounts.get(session.user)
    if account is None:
        return None
    return SignedIn(session, account, keeper.renewed(session))


def finish(service: QueueService, request: Request, response: Response,
           who: SignedIn | None = None) -> Response:
    """Set the cookies every page answer carries: the renewed session, the language."""
    if who is not None and who.renewed is not None:
        _set_session_cookie(service, request, response, who.renewed)
    asked = request.query_params.get("lang")
    if asked in ("vi", "en"):
        response.set_cookie(LANGUAGE_COOKIE, asked, max_age=365 * 86400, httponly=True,
                            samesite="strict", secure=_secure(service, request))
    return response


def to_sign_in(request: Request, note: str | None = None) -> RedirectResponse:
    """Off to the sign-in page, coming back here afterwards."""
    target = f"{SIGN_IN_PATH}?next={quote(request.url.path)}"
    if note:
        target += f"&note={note}"
    return RedirectResponse(target, status_code=303)


PageHandler = Callable[[Request, SignedIn], Awaitable[Response]]
"""A page of a signed-in account: the request and who asks."""


def signed_in_endpoint(service: QueueService, handler: PageHandler,
                       for_script: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint answering with ``handler`` for a signed-in account, its cookies set
    (:func:`finish`). Anyone else is sent to sign in and back (noting that the session
    expired when the browser still held one); with ``for_script``, answered a bare 401
    instead: a page's script asked, and reloads its page into sign-in."""

    async def endpoint(request: Request) -> Response:
        who = signed_in(service, request)
        if who is None:
            if for_script:
                return Response(status_code=401)
            return to_sign_in(request, "expired" if request.cookies.get(SESSION_COOKIE)
                              else None)
        return finish(service, request, await handler(request, who), who)
    return endpoint


def auth_routes(service: QueueService) -> list[Route]:
    """``GET``/``POST /manage/sign-in`` and ``POST /manage/sign-out``."""

    async def sign_in_page(request: Request) -> Response:
        if signed_in(service, request) is not None:
            return RedirectResponse(_next_page(request.query_params.get("next")), 303)
        note = request.query_params.get("note")
        return _sign_in_form(service, request, "session_over" if note == "expired" else None)

    async def sign_in(request: Request) -> Response:
        t = translator(language(request))
        try:
            form = await read_form(request, service.server.public_url, FORM_LIMIT)
        except FormRefused as refused:
            return _sign_in_form(service, request, None, refused.message, refused.status_code)
        expected = request.cookies.get(SIGN_IN_COOKIE, "")
        if not expected or not hmac.compare_digest(form.get("csrf", "").encode(),
                                                   expected.encode()):
            return _sign_in_form(service, request, "form_expired", status_code=403)
        user, password = form.get("user", "").strip()[:64], form.get("password", "")[:200]
        address = client_address(request)
        throttle = service.sign_ins
        key = f"web/{user}"
        account = service.accounts.get(user)
        wait = throttle.wait_seconds(key, address)
        if wait > 0:
            await service.audit.refused(web_actor(request, account), Action.SIGN_IN_FAILED,
                                        "rate_limited")
            return _sign_in_form(service, request, None,
                                 t("slowed", seconds=math.ceil(wait)), 429)
        if not await _password_matches(service, account, password):
            failures = throttle.failed(key, address)
            logger.warning("failed web sign-in of %r from %s (%d in a row)", user, address,
                           failures)
            await service.audit.refused(web_actor(request, account), Action.SIGN_IN_FAILED,
                                        "unauthorized")
            return _sign_in_form(service, request, "wrong_password", status_code=401)
        assert account is not None
        throttle.succeeded(key, address)
        logger.info("web sign-in of %r from %s", user, address)
        await service.audit.record(service.audit.entry(web_actor(request, account),
                                                       Action.SIGN_IN_OK))
        response = RedirectResponse(_next_page(form.get("next")), status_code=303)
        _set_session_cookie(service, request, response, service.web_sessions.start(user))
        response.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN_PATH)
        return response

    async def sign_out(request: Request) -> Response:
        who = signed_in(service, request)
        if who is None:
            return to_sign_in(request)
        try:
            form = await read_form(request, service.server.public_url, FORM_LIMIT)
        except FormRefused as refused:
            return _refused(request, refused.message, refused.status_code)
        if not service.web_sessions.csrf_valid(who.session, form.get("csrf", "")):
            return _refused(request, translator(language(request))("form_expired"), 403)
        service.web_sessions.sign_out(who.session)
        logger.info("web sign-out of %r", who.account.user)
        await service.audit.record(service.audit.entry(web_actor(request, who.account),
                                                       Action.SIGN_OUT))
        response = RedirectResponse(SIGN_IN_PATH, status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    return [Route(SIGN_IN_PATH, sign_in_page, methods=["GET"]),
            Route(SIGN_IN_PATH, sign_in, methods=["POST"]),
            Route(SIGN_OUT_PATH, sign_out, methods=["POST"])]


def _sign_in_form(service: QueueService, request: Request, note_key: str | None,
                  note: str | None = None, status_code: int = 200) -> Response:
    lang = language(request)
    t = translator(lang)
    token = secrets.token_urlsafe(24)
    response = page("sign_in.html", status_code, t=t, lang=lang,
                    note=note or (t(note_key) if note_key else None), csrf=token,
                    next=_next_page(request.query_params.get("next")), path=request.url.path)
    if service.ownership is not None and service.ownership.view is not None:
        # Several processes: the page after signing in may be served by another of them.
        response.headers["content-security-policy"] = policy_with_form_targets(
            member.url for member in service.ownership.view.members if member.live)
    # Scoped to the sign-in form, short-lived: the double-submit half of its CSRF check.
    response.set_cookie(SIGN_IN_COOKIE, token, max_age=3600, path=SIGN_IN_PATH, httponly=True,
                        samesite="strict", secure=_secure(service, request))
    return finish(service, request, response)


def _refused(request: Request, message: str, status_code: int) -> Response:
    lang = language(request)
    return page("message.html", status_code, t=translator(lang), lang=lang, message=message,
                path=request.url.path, account=None, csrf="")


async def _password_matches(service: QueueService, account: AccountSettings | None,
                            password: str) -> bool:
    # Hash even for an unknown user, so the time taken does not tell which users exist.
    stored = account.password_hash if account is not None else _DUMMY_HASH
    try:
        matches = bool(await service.run_blocking(verify_password, password, stored))
    except PasswordHashError:
        logger.error("account %s has a malformed password hash",
                     account.user if account else "?")
        return False
    return matches and account is not None


# scrypt of a password nobody has, with the cost of real hashes.
_DUMMY_HASH = ("scrypt$16384$8$1$bm8tb25lLWhhcy10aGlzIQ==$"
               "u5aDTYNfJYt2N2C1BEyJmE9VMNk8tHnlZrQ1Gm4mPqs=")


def _next_page(target: str | None) -> str:
    """Where to go after signing in: a page of ours under /manage or /admin, never
    elsewhere."""
    if target and target.startswith(("/manage", "/admin")) and not target.startswith("//") \
            and not urlsplit(target).netloc and target != SIGN_IN_PATH:
        return target
    return "/manage"


def _set_session_cookie(service: QueueService, request: Request, response: Response,
                        session: WebSession) -> None:
    keeper = service.web_sessions
    response.set_cookie(SESSION_COOKIE, keeper.cookie_value(session),
                        max_age=round(keeper.policy.longest_seconds), path="/", httponly=True,
                        samesite="strict", secure=_secure(service, request))


def _secure(service: QueueService, request: Request) -> bool:
    """Cookies only over TLS when the server is reached over TLS (directly or behind a
    proxy whose address is the public URL)."""
    return request.url.scheme == "https" or service.server.public_url.startswith("https://")
