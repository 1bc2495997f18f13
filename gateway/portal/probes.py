"""Recognise the connectivity checks phones and browsers make when they join a network.

A probe tells us which OS family is asking; it does not change the answer. A phone that is not
admitted gets a redirect to the splash for a probe exactly as for any other page.
"""

from __future__ import annotations

from gateway.portal.routing import normalise_host

OS_FAMILIES = ("android", "apple", "windows", "firefox", "other")

# Hosts that exist only to answer connectivity checks: any path on them is a probe (Apple and
# Microsoft vary the path; the vendor hosts serve /generate_204 and little else).
_PROBE_HOSTS: dict[str, str] = {
    "connectivitycheck.gstatic.com": "android",
    "connectivitycheck.android.com": "android",
    # Android forks point the same check at their own hosts; Xiaomi, Huawei, Samsung, OPPO and
    # vivo are most of the cheap phones on an Indonesian hotspot.
    "connect.rom.miui.com": "android",
    "connectivitycheck.platform.hicloud.com": "android",
    "connectivitycheck.cbg-app.huawei.com": "android",
    "connectivitycheck.hihonor.com": "android",
    "connectivity.samsung.com.cn": "android",
    "connectivitycheck.samsung.com": "android",
    "conn1.oppomobile.com": "android",
    "conn2.oppomobile.com": "android",
    "wifi.vivo.com.cn": "android",
    "captive.apple.com": "apple",
    "www.appleiphonecell.com": "apple",
    "www.itools.info": "apple",
    "www.ibook.info": "apple",
    "www.airport.us": "apple",
    "www.thinkdifferent.us": "apple",
    "www.msftconnecttest.com": "windows",
    "ipv6.msftconnecttest.com": "windows",
    "www.msftncsi.com": "windows",
    "detectportal.firefox.com": "firefox",
    # NetworkManager on Linux desktops, and the check some routers and privacy ROMs use.
    "nmcheck.gnome.org": "other",
    "connectivity-check.ubuntu.com": "other",
    "network-test.debian.org": "other",
    "cp.cloudflare.com": "other",
}

# Probe paths on hosts that also serve ordinary pages: only these exact paths are probes.
_PROBE_URLS: dict[tuple[str, str], str] = {
    ("clients3.google.com", "/generate_204"): "android",
    ("clients1.google.com", "/generate_204"): "android",
    ("www.google.com", "/gen_204"): "android",
    ("www.google.com", "/generate_204"): "android",
    ("www.gstatic.com", "/generate_204"): "android",
    ("play.googleapis.com", "/generate_204"): "android",
    ("www.google.cn", "/generate_204"): "android",
    ("developers.google.cn", "/generate_204"): "android",
    ("www.apple.com", "/library/test/success.html"): "apple",
    ("fedoraproject.org", "/static/hotspot.txt"): "other",
}

# Android's own convention; a fork we do not list still asks for this path on its own host.
_ANDROID_PATH = "/generate_204"


def classify_probe(host: str, path: str) -> str | None:
    """The OS family whose connectivity check this request is, or None for an ordinary page."""
    name = normalise_host(host)
    family = _PROBE_HOSTS.get(name) or _PROBE_URLS.get((name, path))
    if family is None and path == _ANDROID_PATH:
        family = "android"
    return family
