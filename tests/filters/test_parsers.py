from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest

from filters.parsers import (
    EXCEPTION,
    SUBDOMAINS_ONLY,
    Entry,
    ParseReport,
    line_parser,
    parse_file,
)
from filters.parsers.base import ADDRESS, MAX_EXAMPLES, PAGE, PREFIX, parse_lines
from tests.conftest import shared_list

DRUGS = tuple(f"blocklistproject-drugs.{ext}" for ext in ("hosts", "adblock", "dnsmasq"))
HEADER_COUNT = re.compile(r"^[!#;]\s*(?:Number of entries|Entries):\s*([\d,]+)\s*$", re.M)


def parse_text(fmt: str, text: str) -> tuple[list[Entry], ParseReport]:
    report = ParseReport()
    entries = list(parse_lines(text.splitlines(keepends=True), line_parser(fmt), report))
    return entries, report


def names_flags(entries: Iterable[Entry]) -> list[tuple[str, int]]:
    return [(name, flags) for name, flags, _ in entries]


@functools.cache
def parsed_shared(name: str) -> tuple[tuple[Entry, ...], ParseReport]:
    report = ParseReport()
    entries = tuple(parse_file(shared_list(name), "auto", report))
    return entries, report


def documented_count(name: str) -> int:
    match = HEADER_COUNT.search(shared_list(name).read_text(encoding="utf-8")[:4000])
    assert match, f"{name} has no entry count in its header"
    return int(match.group(1).replace(",", ""))


@pytest.mark.parametrize(
    ("name", "lines", "distinct"),
    [
        ("trustpositif-domains-sample.txt", 114_377, 114_377),
        ("judi-indonesia-sample.txt", 88_683, 88_683),
        ("trustpositif-community-allowlist.txt", 908, 907),  # youtu.be is listed twice
    ],
)
def test_raw_domain_lists_give_documented_counts(name: str, lines: int, distinct: int) -> None:
    entries, report = parsed_shared(name)
    assert report.entries == len(entries) == report.lines == lines
    assert len({entry[0] for entry in entries}) == distinct
    assert report.rejected_total == 0
    assert not report.ignored


def test_judi_sample_keeps_its_punycode_names_unchanged() -> None:
    entries, _ = parsed_shared("judi-indonesia-sample.txt")
    punycode = [name for name, _, _ in entries if "xn--" in name]
    assert len(punycode) > 1000
    raw_lines = shared_list("judi-indonesia-sample.txt").read_text(encoding="utf-8").split()
    assert sorted(name for name, _, _ in entries) == sorted(line.lower() for line in raw_lines)


@pytest.mark.parametrize(
    "name", ["hagezi-nsfw-domains.txt", "hagezi-doh-domains.txt", *DRUGS, "hagezi-light-multi.rpz"]
)
def test_lists_with_a_header_count_give_exactly_that_many_entries(name: str) -> None:
    entries, report = parsed_shared(name)
    assert report.entries == len(entries) == documented_count(name)
    assert report.rejected_total == 0
    assert not report.ignored


def test_drugs_list_gives_the_same_names_in_hosts_adblock_and_dnsmasq_form() -> None:
    hosts, adblock, dnsmasq = ({name for name, _, _ in parsed_shared(f)[0]} for f in DRUGS)
    assert all(flags == 0 for f in DRUGS for _, flags, _ in parsed_shared(f)[0])
    assert len(hosts) == documented_count(DRUGS[0])
    assert hosts == adblock == dnsmasq


def test_hagezi_rpz_gives_each_name_plain_and_as_subdomains_only() -> None:
    entries, _ = parsed_shared("hagezi-light-multi.rpz")
    plain = {name for name, flags, _ in entries if flags == 0}
    wildcard = {name for name, flags, _ in entries if flags == SUBDOMAINS_ONLY}
    assert len(plain) + len(wildcard) == len(entries)
    assert plain == wildcard
    assert len(plain) == documented_count("hagezi-light-multi.rpz") // 2
    assert "smetrics.abbott" in plain


@pytest.mark.parametrize("address", ["0.0.0.0", "127.0.0.1", "::", "::1", "0", "fe80::1%eth0"])
def test_hosts_line_blocks_each_name_after_any_sink_address(address: str) -> None:
    entries, report = parse_text("hosts", f"{address} a.example B.example c.example\n")
    assert entries == [("a.example", 0, 1), ("b.example", 0, 1), ("c.example", 0, 1)]
    assert report.entries == 3
    assert report.rejected_total == 0


def test_hosts_inline_comments_are_dropped() -> None:
    text = "# header\n0.0.0.0 ads.example # tracker\n0.0.0.0 t.example#x\n  # indented\n"
    entries, report = parse_text("hosts", text)
    assert entries == [("ads.example", 0, 2), ("t.example", 0, 3)]
    assert report.rejected_total == 0
    assert report.lines == 4


LOCALHOST_LINES = """\
127.0.0.1 localhost
127.0.0.1 localhost.localdomain
::1 ip6-localhost ip6-loopback
255.255.255.255 broadcasthost
0.0.0.0 0.0.0.0
ff02::1 ip6-allnodes
127.0.0.1 LocalHost # the machine itself
127.0.0.1 localhost tracker.example
"""


def test_hosts_localhost_lines_are_ignored_not_rejected() -> None:
    entries, report = parse_text("hosts", LOCALHOST_LINES)
    assert entries == [("tracker.example", 0, 8)]  # a real name beside localhost still blocks
    assert report.entries == 1
    assert report.rejected_total == 0
    assert report.ignored == Counter({"localhost line": 7})


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("ads.example", "hosts line without an address"),
        ("ads.example other.example", "hosts line without an address"),
        ("0.0.0.0", "hosts line without a name"),
        ("0.0.0.0 a..example", "empty label"),
    ],
)
def test_hosts_bad_lines_are_rejected_with_their_reason(line: str, reason: str) -> None:
    entries, report = parse_text("hosts", f"0.0.0.0 first.example\n{line}\n0.0.0.0 last.example\n")
    assert names_flags(entries) == [("first.example", 0), ("last.example", 0)]
    assert report.rejected == Counter({reason: 1})
    assert report.examples[reason] == [(2, line)]


def test_hosts_invalid_name_does_not_drop_other_names_on_the_line() -> None:
    # Whether a valid name is taken must not depend on where an invalid neighbour stands.
    for line in (
        "0.0.0.0 good.example bad..example after.example",
        "0.0.0.0 bad..example good.example after.example",
    ):
        entries, report = parse_text("hosts", line)
        assert sorted(name for name, _, _ in entries) == ["after.example", "good.example"], line
        assert report.rejected == Counter({"empty label": 1}), line


def test_adblock_block_and_exception_rules() -> None:
    text = "||Ads.Example^\n@@||ok.example^\n||plain.example\n||pipe.example^|\n||*.wild.example^\n"
    text += "|https://sch.example/\n|http://sch2.example^\n"
    entries, report = parse_text("adblock", text)
    assert names_flags(entries) == [
        ("ads.example", 0),
        ("ok.example", EXCEPTION),
        ("plain.example", 0),
        ("pipe.example", 0),
        ("wild.example", SUBDOMAINS_ONLY),
        ("sch.example", 0),
        ("sch2.example", 0),
    ]
    assert report.rejected_total == 0


def test_adblock_comments_and_headers_are_skipped_silently() -> None:
    text = "[Adblock Plus 2.0]\n! Title: T\n!\n! Expires: 1 day\n# comment\n\n||a.example^\n"
    entries, report = parse_text("adblock", text)
    assert entries == [("a.example", 0, 7)]
    assert report.rejected_total == 0
    assert not report.ignored


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("||tp.example^$third-party", "unsupported option $third-party"),
        ("||x.example^$important", "unsupported option $important"),
        ("@@||x.example^$~third-party,script", "unsupported option $third-party"),
        ("/ads[0-9]+\\.example/", "regular expression"),
        ("example.com##.banner", "cosmetic rule"),
        ("##.ad-box", "cosmetic rule"),
        ("||path.example?q=1", "path rule"),
        ("||path.example^/ads/banner.gif", "separator inside a pattern"),
        ("||path.example/ads|", "exact address rule"),
        ("||path.example/ads*.gif", "wildcard pattern"),
        ("||path.example:8080/ads", "port rule"),
        ("||port.example:8080^", "port rule"),
        ("||ads.*.example^", "wildcard pattern"),
        ("|ftp://f.example^", "address pattern"),
        ("||1.2.3.4:443^", "port rule"),
    ],
)
def test_adblock_rules_the_engine_cannot_honour_are_rejected(line: str, reason: str) -> None:
    entries, report = parse_text("adblock", line + "\n")
    assert entries == []
    assert report.rejected == Counter({reason: 1})
    assert report.examples[reason] == [(1, line)]


def test_adblock_report_counts_rejections_by_reason_with_line_numbers() -> None:
    text = (
        "! Title: mixed\n||a.example^\n||b.example^$third-party\n||c.example/path\n"
        "||d.example^$third-party\nexample.org##.ad\n@@||e.example^\n/regex/\n"
    )
    entries, report = parse_text("adblock", text)
    assert entries == [
        ("a.example", 0, 2), ("c.example/path", PAGE | PREFIX, 4), ("e.example", EXCEPTION, 7)
    ]  # fmt: skip
    assert report.rejected == Counter(
        {
            "unsupported option $third-party": 2,
            "cosmetic rule": 1,
            "regular expression": 1,
        }
    )
    assert report.examples["unsupported option $third-party"] == [
        (3, "||b.example^$third-party"),
        (5, "||d.example^$third-party"),
    ]
    assert report.lines == 8
    assert json.loads(json.dumps(report.to_json()))["rejected"]["cosmetic rule"] == 1


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("||198.51.100.7^", ("198.51.100.7", ADDRESS)),
        ("@@||198.51.100.0/24^", ("198.51.100.0/24", ADDRESS | EXCEPTION)),
        ("||[2001:db8::1]^", ("2001:db8::1", ADDRESS)),
        ("||Judi.Example/Slot/^", ("judi.example/slot/", PAGE)),
        ("||judi.example/slot^", ("judi.example/slot", PAGE)),
        ("||judi.example/slot", ("judi.example/slot", PAGE | PREFIX)),
        ("|https://judi.example/a%20b^", ("judi.example/a b", PAGE)),
        ("||judi.example/^", ("judi.example", 0)),  # the whole site
    ],
)
def test_adblock_pages_and_addresses(line: str, expected: tuple[str, int]) -> None:
    entries, report = parse_text("adblock", line + "\n")
    assert names_flags(entries) == [expected]
    assert report.rejected_total == 0


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("address=/a.example/0.0.0.0", [("a.example", 0)]),
        ("address=/a.example/", [("a.example", 0)]),
        ("address=/a.example/b.example/#", [("a.example", 0), ("b.example", 0)]),
        ("server=/a.example/", [("a.example", 0)]),
        ("server=/a.example/b.example/", [("a.example", 0), ("b.example", 0)]),
        ("server=/a.example/#", [("a.example", EXCEPTION)]),
        ("local=/A.Example/", [("a.example", 0)]),
    ],
)
def test_dnsmasq_directives_give_their_names(line: str, expected: list[tuple[str, int]]) -> None:
    entries, report = parse_text("dnsmasq", line + "\n")
    assert names_flags(entries) == expected
    assert report.rejected_total == 0


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("server=/a.example/1.2.3.4", "forwarding rule, not a block"),
        ("server=/a.example/10.0.0.1#5353", "forwarding rule, not a block"),
        ("no-resolv", "not an address=, server= or local= line"),
        ("cache-size=1000", "not an address=, server= or local= line"),
        ("address=/a.example", "directive without /name/"),
        ("address=//0.0.0.0", "directive without /name/"),
        ("address=/a..example/", "empty label"),
    ],
)
def test_dnsmasq_lines_that_do_not_block_are_rejected(line: str, reason: str) -> None:
    entries, report = parse_text("dnsmasq", f"# header\n{line}\nlocal=/ok.example/\n")
    assert names_flags(entries) == [("ok.example", 0)]
    assert report.rejected == Counter({reason: 1})
    assert report.examples[reason] == [(2, line)]


ZONE = """\
$TTL 3600
$ORIGIN rpz.example.net.
@ IN SOA ns.example.net. hostmaster.example.net. (
        2026082201 ; serial
        3600       ; refresh
        600 86400 3600 )
  IN NS  ns.example.net.
; a comment line
bad.example        CNAME .
*.bad.example      CNAME .
ok.example         CNAME rpz-passthru.
ttl.example   300  IN CNAME .
class.example IN   300 CNAME .
drop.example       CNAME rpz-drop.
a.example          A     127.0.0.1
fq.example.rpz.example.net. CNAME .  ; written out in full
32.1.2.0.192.rpz-ip CNAME .
ns.evil.rpz-nsdname CNAME .
tcp.example        CNAME rpz-tcp-only.
mx.example         MX    10 mail.example.
"""


def test_rpz_zone_gives_qname_triggers_and_rejects_the_rest() -> None:
    entries, report = parse_text("rpz", ZONE)
    assert names_flags(entries) == [
        ("bad.example", 0),
        ("bad.example", SUBDOMAINS_ONLY),
        ("ok.example", EXCEPTION),
        ("ttl.example", 0),
        ("class.example", 0),
        ("drop.example", 0),
        ("a.example", 0),
        ("fq.example", 0),
    ]
    assert [number for _, _, number in entries] == [9, 10, 11, 12, 13, 14, 15, 16]
    # SOA, NS, $TTL, $ORIGIN and comments are skipped; what the engine cannot use is counted.
    assert report.rejected == Counter(
        {
            "non-qname trigger": 2,
            "unsupported policy rpz-tcp-only.": 1,
            "unsupported record type MX": 1,
        }
    )
    assert report.examples["non-qname trigger"] == [
        (17, "32.1.2.0.192.rpz-ip CNAME ."),
        (18, "ns.evil.rpz-nsdname CNAME ."),
    ]


def test_rpz_soa_continuation_lines_at_column_zero_are_skipped() -> None:
    text = "@ SOA ns. admin. (\n1 ; serial\n3600\n)\nbad.example CNAME .\n"
    entries, report = parse_text("rpz", text)
    assert entries == [("bad.example", 0, 5)]
    assert report.rejected_total == 0


def test_rpz_relative_owner_under_a_changed_origin_is_made_absolute() -> None:
    # RFC 1035: a relative owner is relative to the current $ORIGIN; the trigger is what lies
    # below the zone apex, so "www" under "example.com.rpz.local." triggers www.example.com.
    text = (
        "$ORIGIN rpz.local.\n@ SOA ns. admin. 1 2 3 4 5\n"
        "$ORIGIN example.com.rpz.local.\nwww CNAME .\n"
    )
    entries, _ = parse_text("rpz", text)
    assert names_flags(entries) == [("www.example.com", 0)]


def test_domains_file_with_bom_and_crlf_is_read_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(b"\xef\xbb\xbfFirst.example\r\nsecond.example\r\n\r\nthird.example")
    report = ParseReport()
    entries = list(parse_file(path, "domains", report))
    assert entries == [("first.example", 0, 1), ("second.example", 0, 2), ("third.example", 0, 4)]
    assert report.rejected_total == 0
    assert report.lines == 4


def test_domains_comments_wildcards_and_unicode() -> None:
    text = "# header\n! bang\n; semi\na.example # note\n*.wild.example\nBücher.Example\n"
    entries, report = parse_text("domains", text)
    assert entries == [
        ("a.example", 0, 4),
        ("wild.example", SUBDOMAINS_ONLY, 5),
        ("xn--bcher-kva.example", 0, 6),
    ]
    assert report.rejected_total == 0


def test_domains_bad_lines_are_counted_and_the_rest_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(
        b"one.example\n\xff\xfe\x00garbage\ntwo.example\na..b\n"
        + b"x" * 64
        + b".example\nthree words here\nftp://u.example/p\nfour.example\n"
    )
    report = ParseReport()
    entries = list(parse_file(path, "domains", report))
    assert entries == [("one.example", 0, 1), ("two.example", 0, 3), ("four.example", 0, 8)]
    assert report.rejected_total == 5
    assert {reason: [n for n, _ in shown] for reason, shown in report.examples.items()} == {
        "binary data": [2],
        "empty label": [4],
        "label longer than 63 bytes": [5],
        "more than one word on a line": [6],
        "address of a scheme other than http or https": [7],
    }
    assert report.lines == 8


def test_domains_lists_carry_addresses_and_pages() -> None:
    text = (
        "198.51.100.7\n198.51.100.0/24\n10.1.2.3/8\n2001:DB8::/32\n[2001:db8::5]\n"
        "judi.example/slot\nhttp://Judi.Example/a/./b/?q=1\nhttps://site.example/\n"
        "judi.example/\n300.1.2.3\nhttp://judi.example:8080/x\n"
    )
    entries, report = parse_text("domains", text)
    assert names_flags(entries) == [
        ("198.51.100.7", ADDRESS),
        ("198.51.100.0/24", ADDRESS),
        ("10.0.0.0/8", ADDRESS),  # the network the line means, not a rejected line
        ("2001:db8::/32", ADDRESS),
        ("2001:db8::5", ADDRESS),
        ("judi.example/slot", PAGE),
        ("judi.example/a/b/?q=1", PAGE),
        ("site.example", 0),
        ("judi.example", 0),
    ]
    assert report.rejected == Counter({"ip address, not a name": 1, "port rule": 1})


def test_report_examples_are_capped_per_reason() -> None:
    text = "".join(f"bad{i}..example\n" for i in range(6)) + "ok.example\n"
    entries, report = parse_text("domains", text)
    assert names_flags(entries) == [("ok.example", 0)]
    assert report.rejected == Counter({"empty label": 6})
    assert MAX_EXAMPLES == 3
    assert report.examples["empty label"] == [(i + 1, f"bad{i}..example") for i in range(3)]


def test_extra_flags_mark_every_entry_of_an_allow_source(tmp_path: Path) -> None:
    path = tmp_path / "allow.txt"
    path.write_text("ok.example\n*.sub.example\n", encoding="utf-8")
    entries = list(parse_file(path, "domains", ParseReport(), extra_flags=EXCEPTION))
    assert [name for name, _, _ in entries] == ["ok.example", "sub.example"]
    assert [flags for _, flags, _ in entries] == [EXCEPTION, EXCEPTION | SUBDOMAINS_ONLY]
