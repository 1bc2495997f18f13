"""Firewall: the thin adapter that runs nft, conntrack, tc and sysctl for the rendered plan."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from gateway.firewall.group_commit import GroupCommit
from gateway.firewall.plan import FirewallPlan, ipv4_address
from gateway.firewall.ruleset import (
    ADMITTED_SET,
    TABLE,
    AdmittedClient,
    nft_timeout,
    render_ruleset,
)
from gateway.firewall.set_counters import CounterFormatError, parse_set_counters
from gateway.firewall.shaping import remove_shaping, render_shaping

COMMAND_TIMEOUT = 10.0  # seconds; nft and tc answer in milliseconds, a hang means a stuck kernel
MAX_MESSAGE = 400
# What the tools say when there was nothing to do; not failures for us.
_NO_FLOWS = ": 0 flow entries"
_NO_ROOT_QDISC = "Cannot delete qdisc with handle of zero"
_NO_SUCH_QDISC = "Specified qdisc kind is unknown"


class FirewallError(Exception):
    """A firewall command failed; the message names it and gives its error in one line."""


def one_line(text: str) -> str:
    """A tool's error output as one line: nft's caret lines dropped, length capped."""
    lines = [line.strip() for line in text.splitlines()]
    kept = [line for line in lines if line and set(line) - {"^", "~", " "}]
    message = " | ".join(kept) or "no error output"
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


class Firewall:
    """Applies the plan's ruleset and shaping and keeps the admitted set, one command at a time."""

    def __init__(
        self,
        plan: FirewallPlan,
        nft: str = "nft",
        conntrack: str = "conntrack",
        tc: str = "tc",
        sysctl: str = "sysctl",
        timeout: float = COMMAND_TIMEOUT,
    ) -> None:
        self.plan = plan
        self.nft = nft
        self.conntrack = conntrack
        self.tc = tc
        self.sysctl = sysctl
        self.timeout = timeout
        self._admissions: GroupCommit[tuple[str, str]] = GroupCommit(self._admit_all)

    def _run(self, argv: Sequence[str], stdin: str | None = None, harmless: str = "") -> str:
        """Run one command; its stdout, or FirewallError unless stderr contains `harmless`."""
        what = " ".join(argv[:3])
        try:
            done = subprocess.run(
                list(argv),
                input=stdin,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError:
            raise FirewallError(f"{argv[0]}: command not found") from None
        except subprocess.TimeoutExpired:
            raise FirewallError(f"{what}: no answer within {self.timeout:g}s") from None
        if done.returncode != 0 and not (harmless and harmless in done.stderr):
            raise FirewallError(f"{what} failed: {one_line(done.stderr or done.stdout)}")
        return done.stdout

    def _nft_script(self, script: str) -> None:
        self._run([self.nft, "-f", "-"], stdin=script)

    @staticmethod
    def _checked_ip(ip: str) -> str:
        try:
            return ipv4_address(ip)
        except ValueError as exc:
            raise FirewallError(str(exc)) from None

    @staticmethod
    def _checked_timeout(seconds: float) -> str:
        try:
            return nft_timeout(seconds)
        except (TypeError, ValueError) as exc:
            raise FirewallError(str(exc)) from None

    def start(self, admitted: Sequence[AdmittedClient]) -> None:
        """Install the full ruleset with these phones admitted, then turn on IPv4 forwarding."""
        try:
            ruleset = render_ruleset(self.plan, admitted)
        except ValueError as exc:
            raise FirewallError(str(exc)) from None
        self._nft_script(ruleset)
        # Forwarding only after the rules are in: there is never a moment with routing and
        # no captive portal in front of it.
        self._run([self.sysctl, "-q", "-w", "net.ipv4.ip_forward=1"])
        # No ICMP redirects to phones: a phone told "go direct" to another phone would skip
        # the isolation rule. Slash form, so a VLAN interface name (eth1.100) keeps its dot.
        lan = self.plan.lan_interface
        self._run([self.sysctl, "-q", "-w", "net/ipv4/conf/all/send_redirects=0",
                   f"net/ipv4/conf/{lan}/send_redirects=0"])  # fmt: skip

    def stop(self) -> None:
        """Install the closed ruleset: nobody is forwarded, DNS and portal redirects stay."""
        self._nft_script(render_ruleset(self.plan, [], closed=True))

    def remove(self) -> None:
        """Delete our table (uninstall, tests); no error when it is not there."""
        self._nft_script(f"table {TABLE} {{}}\ndelete table {TABLE}\n")

    def admit(self, ip: str, timeout: float) -> None:
        """Let the phone out for `timeout` seconds; in the kernel's set when this returns."""
        element = (self._checked_ip(ip), self._checked_timeout(timeout))
        # Phones pressing Connect together share one nft transaction (see group_commit).
        self._admissions.submit(element)

    def _admit_all(self, elements: list[tuple[str, str]]) -> None:
        script = []
        for ip, expires in elements:
            element = f"{TABLE} {ADMITTED_SET} {{ {ip} }}"
            # add, delete, add: a phone admitted again gets exactly the new timeout (a plain
            # add keeps the old one). Its byte counter starts again from zero.
            timed = f"{TABLE} {ADMITTED_SET} {{ {ip} timeout {expires} }}"
            script += [
                f"add element {element}",
                f"delete element {element}",
                f"add element {timed}",
            ]
        self._nft_script("\n".join(script) + "\n")

    def release(self, ip: str) -> None:
        """Take the phone out of the set; a phone that is not in it is no error."""
        ip = self._checked_ip(ip)
        element = f"{TABLE} {ADMITTED_SET} {{ {ip} }}"
        # add then delete in one transaction: deleting a missing element would fail.
        self._nft_script(f"add element {element}\ndelete element {element}\n")

    def byte_counts(self) -> dict[str, int]:
        """Bytes each admitted phone sent and received since it was admitted."""
        output = self._run([self.nft, "-j", "list", "set", *TABLE.split(), ADMITTED_SET])
        try:
            return parse_set_counters(output)
        except CounterFormatError as exc:
            raise FirewallError(f"nft -j list set: {exc}") from None

    def forget_connections(self, ip: str) -> None:
        """Drop the kernel's connection entries of this address, so none keeps an old DNAT."""
        ip = self._checked_ip(ip)
        # -s: what the phone opened, above all its web connections DNAT'd to the portal, which
        # would otherwise keep landing on the splash after admission (and keep an evicted
        # phone's downloads alive). -d: anything opened towards the address, stale once DHCP
        # hands it to the next phone. conntrack exits 1 when there was nothing to delete.
        for direction in ("-s", "-d"):
            self._run([self.conntrack, "-D", direction, ip], harmless=_NO_FLOWS)

    def forget_captive_connections(self, ip: str) -> None:
        """Drop the phone's web connections opened while captive (DNAT'd to the portal).

        After admission only these matter: a kept-alive connection to a probe host would keep
        landing on the splash. One conntrack run, not two: a hundred phones admitted together
        each cost one.
        """
        ip = self._checked_ip(ip)
        # Only entries whose replies come from the portal's address and port, i.e. DNAT'd to
        # the portal: a connection the phone opened since admission (to a site, or redirected
        # to the proxy, whose port differs) must keep its entry, or its packets would be
        # tracked afresh mid-stream and masqueraded or redirected elsewhere.
        plan = self.plan
        portal = ["--reply-src", plan.lan_address, "--reply-port-src", str(plan.portal_port)]
        captive = ["-D", "-s", ip, "-p", "tcp", "--dport", "80", *portal]
        self._run([self.conntrack, *captive], harmless=_NO_FLOWS)

    def apply_shaping(self) -> None:
        """Put cake on the interfaces the plan gives speeds for."""
        for argv in render_shaping(self.plan):
            try:
                self._run([self.tc, *argv[1:]])
            except FirewallError as exc:
                if _NO_SUCH_QDISC in str(exc):
                    raise FirewallError(
                        f"tc: this kernel has no cake qdisc (sch_cake), cannot shape "
                        f"{argv[4]}: {exc}"
                    ) from None
                raise

    def remove_shaping(self) -> None:
        """Take our cake qdiscs away; an interface without one is no error."""
        for argv in remove_shaping(self.plan):
            self._run([self.tc, *argv[1:]], harmless=_NO_ROOT_QDISC)
