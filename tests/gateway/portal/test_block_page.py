"""The block page the proxy serves is the portal's own, escaped, in the hotspot's language."""

from __future__ import annotations

from dataclasses import replace

from gateway.config import parse_config
from gateway.portal.block_page import block_page_renderer
from gateway.portal.settings import settings_from_config


def test_the_proxys_block_page_names_the_site_category_and_contact() -> None:
    settings = replace(settings_from_config(parse_config({})), report_contact="WA 0812-1")
    page = block_page_renderer(settings)("judi.test", "gambling").decode()
    assert '<html lang="id">' in page and "Situs ini diblokir" in page
    assert "judi.test" in page and "WA 0812-1" in page and "<style>" in page


def test_names_are_escaped_and_english_is_there_too() -> None:
    settings = replace(settings_from_config(parse_config({})), language="en")
    page = block_page_renderer(settings)("<b>x.test</b>", "porn").decode()
    assert '<html lang="en">' in page and "<b>x.test</b>" not in page
    assert "&lt;b&gt;x.test&lt;/b&gt;" in page
