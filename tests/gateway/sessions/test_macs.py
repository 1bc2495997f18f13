"""MAC spelling and the locally-administered bit of private (randomised) addresses."""

from __future__ import annotations

import pytest

from gateway.sessions.macs import is_randomised, normalise_mac


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3C:22:FB:0A:0B:0C", "3c:22:fb:0a:0b:0c"),
        ("3c-22-fb-0a-0b-0c", "3c:22:fb:0a:0b:0c"),
        ("3c22.fb0a.0b0c", "3c:22:fb:0a:0b:0c"),
        ("3c22fb0a0b0c", "3c:22:fb:0a:0b:0c"),
        ("3c:22:fb:a:b:c", "3c:22:fb:0a:0b:0c"),  # as BSD's arp prints it
        ("  da:a1:19:00:00:01\n", "da:a1:19:00:00:01"),
    ],
)
def test_every_spelling_becomes_lowercase_colon_form(text: str, expected: str) -> None:
    assert normalise_mac(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a MAC address: ''"),
        ("1", "not a MAC address: '1'"),
        ("hp-andi", "not a MAC address: 'hp-andi'"),
        ("3c:22:fb:0a:0b", "not a MAC address: '3c:22:fb:0a:0b'"),
        ("3c:22:fb:0a:0b:0g", "not a MAC address"),
        ("3c:22:fb:ff:fe:0a:0b:0c", "not a 48-bit MAC address"),
    ],
)
def test_junk_is_refused_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalise_mac(text)


@pytest.mark.parametrize(
    ("mac", "randomised"),
    [
        ("3c:22:fb:0a:0b:0c", False),  # a vendor's (Apple) burned-in address
        ("00:1a:11:00:00:01", False),  # Google
        ("da:a1:19:12:34:56", True),  # Android's per-network private address
        ("5e:e7:4d:00:11:22", True),  # iOS "Private Wi-Fi Address"
        ("02:00:00:00:00:00", True),
        ("FE-FF-FF-FF-FF-FF", True),
        ("fd:ff:ff:ff:ff:ff", False),  # bit 1 clear, bit 0 (multicast) set
    ],
)
def test_the_locally_administered_bit_marks_a_randomised_mac(mac: str, randomised: bool) -> None:
    assert is_randomised(mac) is randomised


def test_is_randomised_refuses_junk() -> None:
    with pytest.raises(ValueError, match="not a MAC address"):
        is_randomised("xx")
