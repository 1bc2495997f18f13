"""SvcParams rewriting: what stays, what goes, and mandatory keys kept consistent."""

from __future__ import annotations

from gateway.dns.sni_visibility import visible_params


def test_ech_goes_and_h3_only_alpn_goes_with_its_mandatory_entry() -> None:
    params = [(0, b"\x00\x01\x00\x05"), (1, b"\x02h3"), (3, b"\x01\xbb"), (5, b"\x00\x02xx")]
    assert visible_params(params, drop_h3=True) == [(3, b"\x01\xbb")]


def test_alpn_keeps_h2_and_http1_and_h3_stays_when_quic_is_allowed() -> None:
    params = [(1, b"\x02h3\x02h2\x08http/1.1")]
    assert visible_params(params, drop_h3=True) == [(1, b"\x02h2\x08http/1.1")]
    assert visible_params(params, drop_h3=False) == params


def test_records_without_ech_or_alpn_are_unchanged() -> None:
    params = [(3, b"\x01\xbb"), (4, b"\xc0\x00\x02\x01")]
    assert visible_params(params, drop_h3=True) == params
