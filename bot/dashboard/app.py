"""The dashboard's web application: routes, sign-in by one-time link, sessions, security headers.

Forms are accepted from the dashboard's own pages only: a sign-in posted by another site would sign a
victim in as the attacker (login CSRF), a sign-out would end their session. Browsers say where a form
comes from in `Sec-Fetch-Site` (every current browser) or `Origin`; a POST that names another site,
or neither header, is refused. The session cookie is `Secure` unless the operator opts out for a
plain-HTTP trial (`assembly-bot dashboard --plain-http`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib.resources import files
from urllib.parse import urlsplit

from aiohttp import web

from bot.dashboard import pages
from bot.dashboard.render import SECURITY_HEADERS, browser_language, page
from bot.store import dashboard_access
from bot.store.database import Database
from flows.digest.figures import Stratum
from flows.engine import Kit

COOKIE = "assembly_dashboard"


@dataclass(frozen=True)
class Dashboard:
    """What every request needs; built once by `make_app`."""

    db: Database
    kit: Kit
    secure_cookies: bool
    quota_charts: dict[str, tuple[tuple[Stratum, ...], bytes]] = field(default_factory=dict)
    """The last recruitment chart drawn in each language, with the figures it shows: drawing one
    takes matplotlib a few hundred milliseconds, and the page is reloaded far more often than the
    counts change."""


DASHBOARD = web.AppKey("dashboard", Dashboard)


@web.middleware
async def _headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers.update(SECURITY_HEADERS)
        raise
    response.headers.update(SECURITY_HEADERS)
    return response


@web.middleware
async def _same_origin(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if request.method in ("GET", "HEAD", "OPTIONS") or _from_here(request):
        return await handler(request)
    return _refusal(request, request.app[DASHBOARD], "cross_site.html", 403)


def _from_here(request: web.Request) -> bool:
    """Whether the browser says this request comes from the dashboard's own pages."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")  # "none": the person's own action, such as a bookmark
    origin = urlsplit(request.headers.get("Origin", "")).netloc
    configured = request.app[DASHBOARD].kit.dashboard_url
    # Behind a reverse proxy the browser's origin is DASHBOARD_URL's, or at least the Host it asked.
    return bool(origin) and origin in (request.host, urlsplit(configured or "").netloc)


def _refusal(request: web.Request, dash: Dashboard, template: str, status: int) -> web.Response:
    tr = dash.kit.translations.for_language(browser_language(request, dash.kit.assembly))
    return page(template, tr, dash.kit.assembly, status=status, viewer=None, here="")


def signed_in(handler: pages.Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Serve `handler` only to a viewer whose session is open and whose role still holds, this moment."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        dash = request.app[DASHBOARD]
        secret = request.cookies.get(COOKIE)
        viewer = None
        if secret:
            async with dash.db.transaction() as session:
                viewer = await dashboard_access.session_viewer(
                    session, dash.kit.assembly, secret, dash.kit.clock.now()
                )
        if viewer is None:
            response = _refusal(request, dash, "signed_out.html", 401)
            if secret:
                response.del_cookie(COOKIE, path="/")
            return response
        return await handler(request, dash, viewer)

    return guarded


async def _link(request: web.Request) -> web.StreamResponse:
    """GET of a sign-in link only asks to confirm: link previews and scanners fetch URLs, and must not
    spend the link; the POST of the button does."""
    dash = request.app[DASHBOARD]
    token = request.match_info["token"]
    async with dash.db.transaction() as session:
        viewer = await dashboard_access.link_viewer(session, dash.kit.assembly, token, dash.kit.clock.now())
    if viewer is None:
        return _refusal(request, dash, "link_refused.html", 403)
    tr = dash.kit.translations.for_language(viewer.language)
    return page("sign_in.html", tr, dash.kit.assembly, viewer=None, here="", token=token, role=viewer.role)


async def _sign_in(request: web.Request) -> web.StreamResponse:
    dash = request.app[DASHBOARD]
    token = str((await request.post()).get("token", ""))
    async with dash.db.transaction() as session:
        opened = await dashboard_access.sign_in(session, dash.kit.assembly, token, dash.kit.clock.now())
    if opened is None:
        return _refusal(request, dash, "link_refused.html", 403)
    secret, _ = opened
    redirect = web.HTTPSeeOther("/")
    redirect.set_cookie(
        COOKIE,
        secret,
        max_age=int(dashboard_access.SESSION_VALID.total_seconds()),
        path="/",
        httponly=True,
        samesite="Lax",
        secure=dash.secure_cookies,
    )
    raise redirect


async def _sign_out(request: web.Request) -> web.StreamResponse:
    dash = request.app[DASHBOARD]
    if secret := request.cookies.get(COOKIE):
        async with dash.db.transaction() as session:
            await dashboard_access.sign_out(session, secret)
    response = _refusal(request, dash, "signed_out.html", 200)
    response.del_cookie(COOKIE, path="/")
    return response


async def _stylesheet(_: web.Request) -> web.StreamResponse:
    css = files("bot.dashboard").joinpath("static/dashboard.css").read_text(encoding="utf-8")
    return web.Response(text=css, content_type="text/css")


def make_app(db: Database, kit: Kit, *, secure_cookies: bool = True) -> web.Application:
    """`secure_cookies=False` only for a trial over plain HTTP: browsers then send the cookie unencrypted."""
    app = web.Application(middlewares=[_headers, _same_origin])
    app[DASHBOARD] = Dashboard(db, kit, secure_cookies)
    app.add_routes(
        [
            web.get("/login/{token}", _link),
            web.post("/login", _sign_in),
            web.post("/logout", _sign_out),
            web.get("/dashboard.css", _stylesheet),
            *(web.get(path, signed_in(handler)) for path, handler in pages.ROUTES.items()),
        ]
    )
    return app
