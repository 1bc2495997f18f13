from __future__ import annotations

import pytest

from gateway.portal.csrf import TOKEN_MAX_AGE, issue_token, token_is_valid

KEY = b"k" * 32
NOW = 1_700_000_000.0


def test_a_fresh_token_is_valid_for_its_phone() -> None:
    token = issue_token(KEY, "10.77.0.23", NOW)
    assert token_is_valid(KEY, "10.77.0.23", token, NOW + 5)


def test_a_token_is_not_valid_for_another_phone_or_key() -> None:
    token = issue_token(KEY, "10.77.0.23", NOW)
    assert not token_is_valid(KEY, "10.77.0.24", token, NOW)
    assert not token_is_valid(b"other" * 8, "10.77.0.23", token, NOW)


def test_a_token_expires() -> None:
    token = issue_token(KEY, "10.77.0.23", NOW)
    assert token_is_valid(KEY, "10.77.0.23", token, NOW + TOKEN_MAX_AGE)
    assert not token_is_valid(KEY, "10.77.0.23", token, NOW + TOKEN_MAX_AGE + 1)
    assert not token_is_valid(KEY, "10.77.0.23", token, NOW - 3600)


@pytest.mark.parametrize(
    "token",
    ["", ".", "abc", "1700000000", "1700000000.", "x.y", "١٧٠٠٠٠٠٠٠٠.abc", "9" * 40 + ".ab"],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    assert not token_is_valid(KEY, "10.77.0.23", token, NOW)


def test_a_tampered_timestamp_is_refused() -> None:
    issued, _, signature = issue_token(KEY, "10.77.0.23", NOW).partition(".")
    assert not token_is_valid(KEY, "10.77.0.23", f"{int(issued) + 1}.{signature}", NOW)
