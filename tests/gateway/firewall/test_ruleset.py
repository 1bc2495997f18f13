"""render_ruleset as text: the rules each plan variant must and must not have, and nft -c."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace

import pytest

from gateway.firewall.plan import FirewallPlan
from gateway.firewall.ruleset import AdmittedClient, nft_timeout, render_ruleset

PLAN = FirewallPlan(
    lan_interface="br-lan",
    wan_interface="wan.7",
    lan_address="10.77.0.1",
    client_subnet="10.77.0.0/24",
    portal_port=8000,
)
WITH_EVERYTHING = replace(PLAN, https_port=8444, proxy_port=8443)
ADMITTED = "meta mark & 0x00100000 == 0x00100000"
NOT_ADMITTED = "meta mark & 0x00100000 != 0x00100000"


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def chain(text: str, name: str) -> list[str]:
    """The rule lines of one chain."""
    match = re.search(rf"\n\tchain {name} {{\n(.*?)\n\t}}", text, re.S)
    assert match, f"no chain {name}"
    return lines(match.group(1))


def nft_check(text: str) -> subprocess.CompletedProcess[str]:
    # nft -c asks the kernel to check the transaction without committing it; in a fresh,
    # throwaway network namespace so even a bug here could not touch the host's rules.
    return subprocess.run(
        ["unshare", "--net", "nft", "-c", "-f", "-"],
        input=text,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


def test_one_table_replaced_atomically_and_nothing_else() -> None:
    text = render_ruleset(PLAN, [])
    assert lines(text)[:3] == [
        "table inet hotspot_gateway {}",
        "delete table inet hotspot_gateway",
        "table inet hotspot_gateway {",
    ]
    assert re.findall(r"^(?:table|delete|add|flush)\b.*", text, re.M) == [
        "table inet hotspot_gateway {}",
        "delete table inet hotspot_gateway",
        "table inet hotspot_gateway {",
    ]
    assert "flush ruleset" not in text
    assert not re.search(r"\bchain fwd\b", text)  # fwd is an nft keyword


def test_admitted_set_has_timeouts_counters_and_the_phones() -> None:
    admitted = [
        AdmittedClient("10.77.0.12", 59.2),
        AdmittedClient("10.77.0.9", 3600),
        AdmittedClient("10.77.0.12", 10),  # twice: the longer admission wins
        AdmittedClient("10.77.0.30", 0),  # no time left: not admitted
    ]
    text = render_ruleset(PLAN, admitted)
    assert "type ipv4_addr" in text and "flags timeout" in text and "\t\tcounter\n" in text
    assert "elements = { 10.77.0.9 timeout 3600s, 10.77.0.12 timeout 60s }" in text
    assert "10.77.0.30" not in text
    assert "elements" not in render_ruleset(PLAN, [])


def test_a_bad_address_never_reaches_the_text() -> None:
    with pytest.raises(ValueError, match="not an IPv4 address"):
        render_ruleset(PLAN, [AdmittedClient("10.77.0.10 } ; flush ruleset ; {", 60)])


def test_dns_and_portal_redirects() -> None:
    rules = chain(render_ruleset(PLAN, []), "redirect_clients")
    assert rules[0] == "type nat hook prerouting priority dstnat; policy accept;"
    lan = 'iifname "br-lan"'
    assert f"{lan} meta l4proto {{ tcp, udp }} th dport 53 dnat ip to 10.77.0.1:53" in rules
    assert f"{lan} {NOT_ADMITTED} tcp dport 80 dnat ip to 10.77.0.1:8000" in rules
    assert f"{lan} ip daddr 10.77.0.1 tcp dport 80 dnat ip to 10.77.0.1:8000" in rules
    assert not any("8443" in rule or "443 }" in rule for rule in rules)


def test_proxy_redirect_only_with_a_proxy_port() -> None:
    text = render_ruleset(WITH_EVERYTHING, [])
    proxy = (
        f'iifname "br-lan" {ADMITTED} ip daddr != 10.77.0.1 tcp dport {{ 80, 443 }} '
        "dnat ip to 10.77.0.1:8443"
    )
    assert proxy in chain(text, "redirect_clients")
    assert f"{ADMITTED} ip daddr 10.77.0.1 tcp dport 8443 accept" in chain(text, "lan_input")
    assert "8443" not in render_ruleset(PLAN, [])


def test_the_set_is_looked_up_once_per_direction() -> None:
    # Every lookup adds to the element's counter: more than one would count bytes twice.
    text = render_ruleset(WITH_EVERYTHING, [])
    assert text.count("@admitted") == 2
    assert chain(text, "mark_admitted")[1] == (
        'iifname "br-lan" ip saddr @admitted meta mark set meta mark | 0x00100000'
    )
    assert chain(text, "count_downloads")[1] == 'oifname "br-lan" ip daddr @admitted'


def test_forwarding_rules() -> None:
    text = render_ruleset(PLAN, [])
    assert chain(text, "forward_filter") == [
        "type filter hook forward priority filter; policy accept;",
        'iifname "br-lan" goto from_clients',
        'oifname "br-lan" ct state established,related accept',
        'oifname "br-lan" goto refuse',
    ]
    assert chain(text, "from_clients") == [
        'oifname "br-lan" goto refuse',
        f"{NOT_ADMITTED} goto refuse",
        'oifname != "wan.7" goto refuse',
        "udp dport 443 goto refuse",
        "meta l4proto { tcp, udp } th dport 853 goto refuse",
        "accept",
    ]
    assert chain(text, "refuse") == [
        "meta l4proto tcp reject with tcp reset",
        "reject with icmpx type admin-prohibited",
    ]
    assert " drop" not in text and "policy drop" not in text


def test_input_from_the_lan_allows_only_the_hotspot_services() -> None:
    rules = chain(render_ruleset(PLAN, []), "lan_input")
    assert "meta nfproto ipv4 udp dport 67 accept" in rules
    assert "ip daddr 10.77.0.1 meta l4proto { tcp, udp } th dport 53 accept" in rules
    assert "ip daddr 10.77.0.1 tcp dport 8000 accept" in rules
    assert "icmp type echo-request accept" in rules
    assert any(r.startswith("icmpv6 type {") and "nd-neighbor-solicit" in r for r in rules)
    assert rules[-1] == "goto refuse"
    assert not any("8444" in rule for rule in rules)
    with_https = chain(render_ruleset(WITH_EVERYTHING, []), "lan_input")
    assert "ip daddr 10.77.0.1 tcp dport 8444 accept" in with_https
    assert chain(render_ruleset(PLAN, []), "input_filter")[1] == 'iifname "br-lan" goto lan_input'


def test_masquerade_on_the_wan_for_the_clients_only() -> None:
    plan = replace(PLAN, client_subnet="10.77.0.1/24")
    rules = chain(render_ruleset(plan, []), "masquerade_clients")
    assert rules[1] == 'oifname "wan.7" ip saddr 10.77.0.0/24 masquerade'


@pytest.mark.parametrize("via", ["argument", "plan"])
def test_closed_lets_nobody_out_but_keeps_dns_and_portal(via: str) -> None:
    admitted = [AdmittedClient("10.77.0.10", 60)]
    if via == "plan":
        text = render_ruleset(replace(WITH_EVERYTHING, closed=True), admitted)
    else:
        text = render_ruleset(WITH_EVERYTHING, admitted, closed=True)
    marking = chain(text, "mark_admitted")
    # Nobody is marked admitted, so every rule treats every phone as not admitted.
    assert not any("meta mark set" in rule for rule in marking), marking
    assert "established,related accept" not in "\n".join(chain(text, "forward_filter"))
    redirects = "\n".join(chain(text, "redirect_clients"))
    assert "th dport 53 dnat ip to 10.77.0.1:53" in redirects
    assert "tcp dport 80 dnat ip to 10.77.0.1:8000" in redirects
    open_text = render_ruleset(WITH_EVERYTHING, admitted)
    assert set(lines(open_text)) - set(lines(text)) == {
        'iifname "br-lan" ip saddr @admitted meta mark set meta mark | 0x00100000',
        'oifname "br-lan" ct state established,related accept',
    }


@pytest.mark.parametrize(
    ("plan", "closed"),
    [(PLAN, False), (WITH_EVERYTHING, False), (WITH_EVERYTHING, True)],
    ids=["plain", "proxy-and-https", "closed"],
)
def test_nft_accepts_the_text(plan: FirewallPlan, closed: bool) -> None:
    admitted = [AdmittedClient("10.77.0.10", 43200), AdmittedClient("10.77.0.11", 0.5)]
    done = nft_check(render_ruleset(plan, admitted, closed=closed))
    assert done.returncode == 0, done.stderr


def test_nft_check_does_catch_a_broken_text() -> None:
    # The check above is only worth something if nft -c really refuses bad text.
    broken = render_ruleset(PLAN, []).replace("reject with tcp reset", "reject with tcp resett")
    assert nft_check(broken).returncode != 0


def test_timeouts_round_up_to_whole_seconds() -> None:
    assert [nft_timeout(s) for s in (0.2, 1, 59.01, 43200)] == ["1s", "1s", "60s", "43200s"]
    with pytest.raises(ValueError, match="not a timeout"):
        nft_timeout(float("nan"))
