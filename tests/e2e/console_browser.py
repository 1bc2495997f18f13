"""Staff's browser on the management side: `python -m tests.e2e.console_browser URL OUTDIR`.

Headless Chromium (Debian's, driven by Playwright) logs in to the console, checks a name, blocks
another with a reason, and reads the audit log. Prints one JSON object of what it saw and saves
screenshots in OUTDIR. The account is `ani`, staff, password from the PASSWORD variable.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from tests.e2e.browser import CHROMIUM, FLAGS, TIMEOUT_MS, shoot


def run(url: str, out: Path) -> dict[str, Any]:
    """Log in, check, block, read the audit log."""
    seen: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(locale="id-ID")
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(url)
            seen["login_url"] = page.url
            page.get_by_label("Nama / Name").fill("ani")
            page.get_by_label("Kata sandi / Password").fill(os.environ["PASSWORD"])
            page.get_by_role("button", name="Masuk / Log in").click()
            page.wait_for_load_state()
            seen["status_text"] = page.locator("main").inner_text()
            shoot(page, out, "console-status")
            page.get_by_role("link", name="Daftar blokir / Blocklists").click()
            page.get_by_label("Nama, alamat atau URL / name, address or URL").fill("www.judi.test")
            page.get_by_role("button", name="Periksa / Check").click()
            seen["verdict"] = page.locator("#verdict").inner_text()
            page.get_by_label("Nama / name", exact=True).fill("slot-gacor.test")
            page.get_by_label("Tindakan / action").select_option("add")
            page.get_by_label("Kategori (untuk blokir) / category (to block)").select_option(
                "gambling"
            )
            page.get_by_label("Alasan / reason").fill("laporan warga <b>RT 03</b>")
            page.get_by_role("button", name="Simpan / Save").click()
            page.wait_for_load_state()
            seen["after_block"] = page.locator("#verdict").inner_text()
            shoot(page, out, "console-blocked")
            page.get_by_role("link", name="Log audit / Audit log").click()
            seen["audit_text"] = page.locator("main").inner_text()
            seen["audit_html_has_tag"] = "<b>RT 03</b>" in page.content()
        finally:
            browser.close()
    return seen


def main() -> None:
    """Run against the URL given on the command line."""
    url, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    json.dump(run(url, out), sys.stdout)


if __name__ == "__main__":
    main()
