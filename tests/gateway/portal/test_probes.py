from __future__ import annotations

import pytest

from gateway.portal.probes import OS_FAMILIES, classify_probe


@pytest.mark.parametrize(
    ("host", "path", "family"),
    [
        ("connectivitycheck.gstatic.com", "/generate_204", "android"),
        ("clients3.google.com", "/generate_204", "android"),
        ("www.google.com", "/gen_204", "android"),
        ("connectivitycheck.android.com", "/generate_204", "android"),
        ("play.googleapis.com", "/generate_204", "android"),
        ("captive.apple.com", "/hotspot-detect.html", "apple"),
        ("captive.apple.com", "/", "apple"),
        ("www.apple.com", "/library/test/success.html", "apple"),
        ("www.appleiphonecell.com", "/library/test/success.html", "apple"),
        ("www.itools.info", "/abc/def.html", "apple"),
        ("www.ibook.info", "/x", "apple"),
        ("www.airport.us", "/x", "apple"),
        ("www.thinkdifferent.us", "/x", "apple"),
        ("www.msftconnecttest.com", "/connecttest.txt", "windows"),
        ("www.msftconnecttest.com", "/redirect", "windows"),
        ("www.msftncsi.com", "/ncsi.txt", "windows"),
        ("ipv6.msftconnecttest.com", "/connecttest.txt", "windows"),
        ("detectportal.firefox.com", "/canonical.html", "firefox"),
        ("detectportal.firefox.com", "/success.txt", "firefox"),
        ("connect.rom.miui.com", "/generate_204", "android"),
        ("connectivitycheck.platform.hicloud.com", "/generate_204", "android"),
        ("connectivity.samsung.com.cn", "/generate_204", "android"),
        ("conn1.oppomobile.com", "/generate_204", "android"),
        ("wifi.vivo.com.cn", "/generate_204", "android"),
        ("nmcheck.gnome.org", "/check_network_status.txt", "other"),
        # an Android fork we do not list still asks for Android's path
        ("check.unknown-vendor.example", "/generate_204", "android"),
    ],
)
def test_known_probes_are_classified(host: str, path: str, family: str) -> None:
    assert classify_probe(host, path) == family


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("www.google.com", "/"),
        ("www.google.com", "/search"),
        ("www.apple.com", "/id/iphone/"),
        ("clients3.google.com", "/other"),
        ("detik.com", "/"),
        ("kompas.com", "/gen_204"),
        ("", "/"),
    ],
)
def test_ordinary_pages_are_not_probes(host: str, path: str) -> None:
    assert classify_probe(host, path) is None


def test_host_header_forms_are_normalised() -> None:
    assert classify_probe("CAPTIVE.Apple.COM:80", "/hotspot-detect.html") == "apple"
    assert classify_probe("connectivitycheck.gstatic.com.", "/generate_204") == "android"


def test_every_family_returned_is_a_known_family() -> None:
    assert set(OS_FAMILIES) == {"android", "apple", "windows", "firefox", "other"}
