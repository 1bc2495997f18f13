"""The block page outside the portal: the proxy answers blocked HTTP requests with it.

The same template, texts and inlined style as the portal's own block page, so a resident sees
one page whether the resolver or the proxy stopped the site.
"""

from __future__ import annotations

from collections.abc import Callable

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from gateway.portal.app import PAGES_DIR, STYLESHEET
from gateway.portal.settings import PortalSettings
from gateway.portal.texts import TEXTS, category_label


def block_page_renderer(settings: PortalSettings) -> Callable[[str, str], bytes]:
    """A function giving the block page's HTML for (host, category), in the hotspot's language."""
    environment = Environment(
        loader=FileSystemLoader(PAGES_DIR / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
    )
    template = environment.get_template("blocked.html")
    css = Markup(STYLESHEET.read_text(encoding="utf-8"))  # our own file, inlined verbatim
    lang = settings.language
    other = "en" if lang == "id" else "id"
    texts = TEXTS[lang]

    def render(host: str, category: str) -> bytes:
        page = template.render(
            t=texts, lang=lang, other_lang=other, switch_url=f"/?lang={other}", css=css,
            hotspot_name=settings.hotspot_name, host=host,
            category=category_label(texts, category), contact=settings.report_contact,
        )  # fmt: skip
        return page.encode()

    return render
