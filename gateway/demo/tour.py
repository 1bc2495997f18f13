"""The demo's scripted tour: what a resident's phone meets, step by step, checked.

Four phones, a cap of three: the first opens a page and is sent to the splash, taps Connect,
browses, then hits a gambling site and gets the block page; two more connect and fill the
hotspot; the fourth sees the "hotspot penuh" page. Each step prints one line, Indonesian first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gateway.demo.simulation import PORTAL, SimulatedHotspot

PAGE = "http://example.test/"
BLOCKED_SITE = "http://judi.test/"
TOUR_CAP = 3
TOUR_PHONES = 4

# Sites for each blocked category; the fake internet serves every name, so only the gateway's
# lists keep them away.
DEMO_LISTS = {
    "demo-judi": ("gambling", "judi.test\nslot-gacor.test\n"),
    "demo-porn": ("porn", "porn.test\n"),
    "demo-malware": ("malware", "malware.test\n"),
    "demo-phishing": ("phishing", "phishing.test\n"),
    "demo-dns-bypass": ("dns-bypass", "doh.test\n"),
}


@dataclass(frozen=True)
class Step:
    """One checked step: what it shows (Indonesian / English) and whether it held."""

    title: str
    passed: bool
    detail: str = ""

    def line(self) -> str:
        """The step as the tour prints it."""
        mark = "OK   " if self.passed else "GAGAL"
        return f"[{mark}] {self.title}" + ("" if self.passed else f"\n        {self.detail}")


def _check(title: str, seen: dict[str, Any], holds: Callable[[dict[str, Any]], bool]) -> Step:
    """A step from what a phone saw and the condition it must meet."""
    try:
        passed = bool(holds(seen))
    except (KeyError, TypeError):
        passed = False
    shown = {k: v for k, v in seen.items() if k != "body"}
    return Step(title, passed, json.dumps(shown, ensure_ascii=False)[:300])


def run_tour(hotspot: SimulatedHotspot, say: Callable[[str], None] = print) -> list[Step]:
    """Walk through the tour on a hotspot with four phones and a cap of three."""
    steps: list[Step] = []

    def step(title: str, seen: dict[str, Any], holds: Callable[[dict[str, Any]], bool]) -> None:
        steps.append(_check(title, seen, holds))
        say(steps[-1].line())

    first = hotspot.phone(0, "get", PAGE)
    step("Telepon 1 membuka halaman dan diarahkan ke halaman sambutan / "
         "phone 1 opens a page and is sent to the splash", first,
         lambda s: s["status"] == 302 and PORTAL in s["location"])  # fmt: skip
    pressed = hotspot.phone(0, "connect", PORTAL)
    step("Telepon 1 mengetuk Sambungkan dan langsung online / phone 1 taps Connect and is online",
         pressed, lambda s: s["status"] == 303 and s["location"] == "/connected")  # fmt: skip
    page = hotspot.phone(0, "get", PAGE)
    step("Telepon 1 menjelajah: example.test terbuka / phone 1 browses: example.test opens",
         page, lambda s: s["status"] == 200 and "Example Test Page" in s["body"])  # fmt: skip
    blocked = hotspot.phone(0, "get", BLOCKED_SITE)
    step("Telepon 1 membuka situs judi: halaman blokir / phone 1 opens a gambling site: "
         "the block page", blocked,
         lambda s: s["status"] == 403 and "judi.test" in s["body"]
         and "Situs ini diblokir" in s["body"])  # fmt: skip
    for index in range(1, TOUR_CAP):
        joined = hotspot.phone(index, "connect", PORTAL)
        step(f"Telepon {index + 1} tersambung / phone {index + 1} connects", joined,
             lambda s: s["location"] == "/connected")  # fmt: skip
    full = hotspot.phone(TOUR_CAP, "connect", PORTAL)
    step(f"Telepon {TOUR_CAP + 1} melihat halaman penuh ({TOUR_CAP} dari {TOUR_CAP}) / "
         f"phone {TOUR_CAP + 1} sees the full page", full,
         lambda s: s["location"] == "/full")  # fmt: skip
    full_page = hotspot.phone(TOUR_CAP, "get", f"http://{PORTAL}/full")
    step("Halaman penuh menyebut hotspot penuh / the full page says the hotspot is full",
         full_page, lambda s: s["status"] == 200 and "penuh" in s["body"].lower())  # fmt: skip
    listing = hotspot.cli("sessions", "list", "--json")
    online = {"exit": listing.returncode, **_online(listing.stdout)}
    step(f"Gateway mencatat {TOUR_CAP} dari {TOUR_CAP} telepon online / "
         f"the gateway counts {TOUR_CAP} of {TOUR_CAP} phones online", online,
         lambda s: s["exit"] == 0 and s["online"] == TOUR_CAP)  # fmt: skip
    return steps


def _online(text: str) -> dict[str, Any]:
    """Phones online from `sessions list --json`, or what went wrong reading it."""
    try:
        return {"online": json.loads(text)["online"]}
    except (ValueError, KeyError, TypeError):
        return {"online": None, "output": text[-200:]}
