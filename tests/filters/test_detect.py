from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from filters.parsers import (
    FORMATS,
    ParseReport,
    detect_format,
    file_format,
    line_parser,
    parse_file,
)
from filters.parsers.detect import SAMPLE_LINES
from tests.conftest import shared_list

SAMPLES = {
    "domains": """\
# Title: a plain list
# Number of entries: 4
ads.example
Tracker.Example
*.wild.example
bücher.example
""",
    "hosts": """\
# hosts file
127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
255.255.255.255 broadcasthost
0.0.0.0 ads.example
0.0.0.0 tracker.example other.example # inline
:: v6.example
""",
    "adblock": """\
[Adblock Plus 2.0]
! Title: an adblock list
! Expires: 1 day
||ads.example^
||tracker.example^
@@||ok.example^
""",
    "dnsmasq": """\
# dnsmasq list
address=/ads.example/0.0.0.0
server=/tracker.example/
local=/other.example/
server=/ok.example/#
""",
    "rpz": """\
$TTL 3600
@ SOA localhost. root.localhost. 1 43200 3600 259200 3600
  NS  localhost.
; comment
ads.example CNAME .
*.ads.example CNAME .
ok.example CNAME rpz-passthru.
""",
}

SHARED_FORMATS = [
    ("trustpositif-domains-sample.txt", "domains"),
    ("judi-indonesia-sample.txt", "domains"),
    ("trustpositif-community-allowlist.txt", "domains"),
    ("hagezi-nsfw-domains.txt", "domains"),
    ("hagezi-doh-domains.txt", "domains"),
    ("hagezi-light-multi.rpz", "rpz"),
    ("blocklistproject-drugs.hosts", "hosts"),
    ("blocklistproject-drugs.adblock", "adblock"),
    ("blocklistproject-drugs.dnsmasq", "dnsmasq"),
]


def lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def test_every_format_has_a_sample() -> None:
    assert set(SAMPLES) == set(FORMATS)


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_small_sample_of_each_format_is_detected(fmt: str) -> None:
    assert detect_format(lines(SAMPLES[fmt])) == fmt


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_detected_sample_parses_without_rejections(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"sample.{fmt}"
    path.write_text(SAMPLES[fmt], encoding="utf-8")
    report = ParseReport()
    entries = list(parse_file(path, "auto", report))
    assert entries
    assert report.rejected_total == 0


@pytest.mark.parametrize(("name", "fmt"), SHARED_FORMATS)
def test_shared_lists_are_detected_as_their_documented_format(name: str, fmt: str) -> None:
    assert file_format(shared_list(name), "auto") == fmt


def test_declared_format_overrides_detection() -> None:
    path = shared_list("blocklistproject-drugs.hosts")
    assert file_format(path, "hosts") == "hosts"
    assert file_format(path, "domains") == "domains"


def test_detection_sees_through_a_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(b"\xef\xbb\xbf$TTL 300\r\nads.example CNAME .\r\n")
    assert file_format(path, "auto") == "rpz"
    path.write_bytes(b"\xef\xbb\xbf[Adblock Plus 2.0]\r\n||ads.example^\r\n")
    assert file_format(path, "auto") == "adblock"


def test_adblock_list_with_many_plain_names_is_still_adblock() -> None:
    # Plain names are valid adblock rules, while the domains parser rejects every `||` line:
    # any `||` rule in the sample means the list must be read as adblock.
    header = ["[Adblock Plus 2.0]\n", "! Title: mixed list\n"]
    rules = [f"||rule{i}.example^\n" for i in range(20)]
    plain = [f"plain{i}.example\n" for i in range(170)]
    assert detect_format(header + rules + plain) == "adblock"
    assert detect_format(header + plain[:60] + rules + plain[60:]) == "adblock"


def test_adblock_list_mostly_of_rules_with_some_plain_names_is_adblock() -> None:
    rules = [f"||rule{i}.example^\n" for i in range(120)]
    plain = [f"plain{i}.example\n" for i in range(60)]
    assert detect_format(plain + rules) == "adblock"


def test_domains_list_with_a_few_hosts_like_lines_stays_domains() -> None:
    names = [f"name{i}.example\n" for i in range(100)]
    assert detect_format(["# header\n", *names, "0.0.0.0 odd.example\n"]) == "domains"


def test_hosts_list_with_ipv6_sinks_is_hosts() -> None:
    text = "".join(f":: v6-{i}.example\n" for i in range(10))
    assert detect_format(lines(text)) == "hosts"


def test_rpz_without_a_header_is_recognised_by_its_cname_records() -> None:
    text = "".join(f"name{i}.example 300 IN CNAME .\n" for i in range(10))
    assert detect_format(lines(text)) == "rpz"


def test_empty_or_comment_only_input_defaults_to_domains() -> None:
    assert detect_format([]) == "domains"
    assert detect_format(["# only\n", "\n", "   \n", "; comments\n"]) == "domains"


def test_detection_reads_only_a_bounded_sample() -> None:
    def endless() -> Iterator[str]:
        for number in range(SAMPLE_LINES):
            yield f"||n{number}.example^\n"
        yield "late.example\n"
        raise AssertionError("detect_format read past its sample")

    assert detect_format(endless()) == "adblock"


def test_lines_past_the_sample_budget_do_not_vote() -> None:
    def mostly_blank() -> Iterator[str]:
        yield from ["\n"] * (SAMPLE_LINES * 5)
        yield "||late.example^\n"
        raise AssertionError("detect_format read past its sample")

    assert detect_format(mostly_blank()) == "domains"


def test_rpz_parsers_do_not_share_state_between_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.rpz"
    broken.write_text("$TTL 60\n@ SOA ns. admin. (\n 1 2 3\n", encoding="utf-8")
    good = tmp_path / "good.rpz"
    good.write_text("$TTL 60\nbad.example CNAME .\n", encoding="utf-8")
    assert list(parse_file(broken, "rpz", ParseReport())) == []
    assert list(parse_file(good, "rpz", ParseReport())) == [("bad.example", 0, 2)]


def test_unknown_format_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"unknown list format 'csv' \(known: domains, hosts"):
        line_parser("csv")
