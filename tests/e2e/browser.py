"""A phone's browser, run inside a client namespace: `python -m tests.e2e.browser MODE OUTDIR`.

Headless Chromium (Debian's, driven by Playwright; nothing downloaded) opens a page the way a
resident would and taps the button. Prints one JSON object of what it saw, and saves
screenshots in OUTDIR. Modes:
- `connect`: http://example.test/ lands on the splash; tap Connect; the page itself loads;
  then a blocked name shows the block page.
- `full`: the same start on a full hotspot: Connect leads to the full page.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync",
]  # fmt: skip
PHONE = {"width": 360, "height": 740}  # a small Android phone
TIMEOUT_MS = 20_000


def shoot(page: Page, out: Path, name: str) -> str:
    """Save a screenshot of the whole page; its path."""
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return str(path)


def run(mode: str, out: Path) -> dict[str, Any]:
    """Drive the browser through `mode`; what each step showed."""
    seen: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport=PHONE, locale="id-ID")
            page.set_default_timeout(TIMEOUT_MS)
            page.goto("http://example.test/")
            seen["splash_url"] = page.url
            seen["splash_lang"] = page.locator("html").get_attribute("lang")
            seen["splash_shot"] = shoot(page, out, f"{mode}-splash")
            button = page.get_by_role("button", name="Sambungkan")
            seen["button_height"] = button.bounding_box()["height"]  # type: ignore[index]
            button.click()
            page.wait_for_load_state()
            seen["after_url"] = page.url
            seen["after_title"] = page.title()
            seen["after_text"] = page.locator("body").inner_text()[:500]
            seen["after_shot"] = shoot(page, out, f"{mode}-after-connect")
            if mode == "connect":
                page.goto("http://judi.test/")
                seen["blocked_text"] = page.locator("body").inner_text()[:800]
                seen["blocked_shot"] = shoot(page, out, "blocked")
        finally:
            browser.close()
    return seen


def main() -> None:
    """Run the mode given on the command line."""
    mode, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    json.dump(run(mode, out), sys.stdout)


if __name__ == "__main__":
    main()
