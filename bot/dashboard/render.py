"""Pages as HTML: Jinja2 templates (autoescaped) filled in the reader's language, with Babel."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from babel import Locale, negotiate_locale
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from flows.assembly import Assembly
from flows.ports import Translator

TEMPLATES = Environment(
    loader=PackageLoader("bot.dashboard", "templates"),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

SECURITY_HEADERS = {
    # The sign-in URL carries a secret: it must never travel on as a Referer.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
}


def browser_language(request: web.Request, assembly: Assembly) -> str:
    """For pages shown before sign-in: the browser's preferred offered language, else the fallback."""
    wanted = [
        part.split(";")[0].strip().replace("-", "_")
        for part in request.headers.get("Accept-Language", "").split(",")
        if part.strip()
    ]
    found = negotiate_locale(wanted, assembly.languages, sep="_") if wanted else None
    return found.split("_")[0] if found else assembly.fallback_language


def page(
    template: str, tr: Translator, assembly: Assembly, *, status: int = 200, **context: Any
) -> web.Response:
    """A page in `tr`'s language; `_` in templates is its gettext (extracted by pybabel, see babel.cfg)."""
    html = TEMPLATES.get_template(template).render(
        _=tr.gettext,
        tr=tr,
        assembly=assembly,
        assembly_name=assembly.text(assembly.name, tr.language),
        direction=Locale.parse(tr.language).text_direction,
        **context,
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
