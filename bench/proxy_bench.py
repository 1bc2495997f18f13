"""Transparent-proxy benchmark (issue #5): direct forwarding, this proxy and squid, in one run.

    .venv/bin/python bench/proxy_bench.py                 # 10 s per load, 500 handshakes
    .venv/bin/python bench/proxy_bench.py --seconds 5 --handshakes 200

Three namespaces from the end-to-end harness (tests/e2e/netns.py): a client, the gateway and
the fake internet, where nginx (Debian's) serves HTTPS with a certificate made here. The
gateway forwards; for "ours" and "squid" an nft DNAT sends the client's TCP 443 to the proxy
under test, as the hotspot's firewall does. Ours is `run_proxy` (mitmproxy, transparent, SNI
checked, passed through undecrypted); squid (Debian's squid-openssl) runs in intercept mode with
`ssl_bump peek` at step 1, then `terminate` for listed names and `splice` for the rest. Both
load the same lists: the TrustPositif and Indonesian gambling samples from ../shared.

For each path it measures: that a listed name is refused and an unlisted one passes; one large
download (curl, MB/s); new TLS connections per second with 100 clients (wrk, a new connection
per request); the aggregate rate of 100 clients fetching 1 MiB files over kept-alive
connections (wrk, Gbit/s); and the connect-to-handshake-done time of sequential connections
(p50, p99), shown added to direct's. Targets: connections per second at least 1.0x squid's,
added p99 connect at most 2 ms, at least 1 Gbit/s with 100 clients. Clients, nginx and the
proxy share this machine's cores. Needs root and Debian's nginx-light, squid-openssl, wrk and
curl.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.demo.certificates import self_signed_certificate  # noqa: E402
from gateway.demo.netns import INTERNET, LAN_GATEWAY, WAN_GATEWAY, Topology, stop_process  # noqa: E402
from gateway.demo.simulation import HotspotSettings, gateway_config  # noqa: E402
from tests.filters.builders import publish_lists, spec  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "blocklists"
LISTS = {"trustpositif-domains-sample.txt": "porn", "judi-indonesia-sample.txt": "gambling"}
SITE = "fast.example.test"  # on no list
OURS_PORT, SQUID_PORT = 8443, 3129
TOOLS = ("nginx", "squid", "wrk", "curl", "nft")
BIG_MB = 512

PROXY_MAIN = (
    "import sys; from pathlib import Path; from gateway.config import load_config; "
    "from gateway.proxy.service import run_proxy; run_proxy(load_config(Path(sys.argv[1])))"
)
HANDSHAKES = """
import json, socket, ssl, sys, time
count, site, address = int(sys.argv[1]), sys.argv[2], sys.argv[3]
context = ssl.create_default_context()
context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
times = []
for _ in range(count):
    start = time.perf_counter()
    with socket.create_connection((address, 443), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=site):
            times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def listed_names() -> list[str]:
    """The listed names, without those a listed parent already covers (squid wants no overlap)."""
    names = set()
    for file in LISTS:
        for line in (SHARED / file).read_text().splitlines():
            name = line.strip().lower().rstrip(".")
            if name and not name.startswith("#"):
                names.add(name)

    def covered(name: str) -> bool:
        labels = name.split(".")
        return any(".".join(labels[i:]) in names for i in range(1, len(labels) - 1))

    return sorted(n for n in names if not covered(n))


def run_in(ns: str, argv: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a command inside a namespace; its output, whatever its exit code."""
    return subprocess.run(["ip", "netns", "exec", ns, *argv], capture_output=True, text=True,
                          timeout=timeout, check=False)  # fmt: skip


def wait_listening(ns: str, port: int, what: str, limit: float = 60.0) -> None:
    """Wait until something listens on TCP `port` in `ns`."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if run_in(ns, ["ss", "-Hltn", f"sport = :{port}"], 10).stdout.strip():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on port {port} within {limit:.0f} s")


def redirect_to(gateway: str, port: int | None) -> None:
    """Send the client's TCP 443 to `port` on the gateway, or nowhere (direct) when None."""
    rules = "table ip proxy_bench\ndelete table ip proxy_bench\n"
    if port is not None:
        rules += (
            "table ip proxy_bench {\n chain prerouting {\n"
            "  type nat hook prerouting priority dstnat;\n"
            f'  iifname "br0" tcp dport 443 dnat to {LAN_GATEWAY}:{port}\n }}\n}}\n'
        )
    done = subprocess.run(["ip", "netns", "exec", gateway, "nft", "-f", "-"], input=rules,
                          capture_output=True, text=True, timeout=30, check=False)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"nft: {done.stderr.strip()}")


def nginx_config(work: Path, cert: Path, key: Path) -> Path:
    """nginx serving /small, /1m and /big over HTTPS on the fake internet."""
    www = work / "www"
    www.mkdir()
    (www / "small").write_bytes(b"ok\n" * 40)
    (www / "1m").write_bytes(b"\x00" * (1 << 20))
    with (www / "big").open("wb") as big:
        big.truncate(BIG_MB << 20)
    conf = work / "nginx.conf"
    conf.write_text(
        f"user root;\nworker_processes 2;\ndaemon off;\npid {work}/nginx.pid;\n"
        f"error_log {work}/nginx-error.log;\nevents {{ worker_connections 4096; }}\n"
        f"http {{\n access_log off;\n sendfile on;\n keepalive_requests 1000000;\n"
        f" client_body_temp_path {work}/body;\n proxy_temp_path {work}/proxy;\n"
        f" fastcgi_temp_path {work}/fcgi;\n uwsgi_temp_path {work}/uwsgi;\n"
        f" scgi_temp_path {work}/scgi;\n"
        f" server {{\n  listen {INTERNET}:443 ssl;\n  ssl_certificate {cert};\n"
        f"  ssl_certificate_key {key};\n  root {www};\n }}\n}}\n"
    )
    return conf


def squid_config(work: Path, cert: Path, key: Path, names: list[str]) -> Path:
    """squid intercepting TLS: peek at the ClientHello, terminate listed names, splice the rest."""
    listed = work / "squid-listed.txt"
    listed.write_text("".join(f".{name}\n" for name in names))
    logs = work / "squid-logs"
    logs.mkdir()
    logs.chmod(0o777)  # squid writes as its own user
    hosts = work / "squid-hosts"
    hosts.write_text(f"{INTERNET} {SITE}\n")
    conf = work / "squid.conf"
    conf.write_text(
        f"http_port 127.0.0.1:3128\n"
        f"https_port {LAN_GATEWAY}:{SQUID_PORT} intercept ssl-bump tls-cert={cert} "
        f"tls-key={key} generate-host-certificates=off\n"
        f'acl listed ssl::server_name "{listed}"\n'
        "acl step1 at_step SslBump1\n"
        "ssl_bump peek step1\nssl_bump terminate listed\nssl_bump splice all\n"
        "http_access allow all\ncache deny all\ncache_mem 8 MB\naccess_log none\n"
        f"cache_log {logs}/cache.log\npid_filename {logs}/squid.pid\n"
        f"coredump_dir {logs}\nshutdown_lifetime 1 seconds\npinger_enable off\n"
        # Names from a file, and a resolver that is not there: nothing leaves the namespaces.
        f"hosts_file {hosts}\ndns_nameservers 127.0.0.1\n"
    )
    return conf


def download_mb_s(client: str, repeats: int = 3) -> float:
    """One large download, the median of `repeats`, in MB/s."""
    speeds = []
    for _ in range(repeats):
        done = run_in(client, ["curl", "-ks", "-o", "/dev/null", "-w", "%{speed_download}",
                               f"https://{SITE}/big"], 120)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"curl https://{SITE}/big: exit {done.returncode}")
        speeds.append(float(done.stdout) / 1e6)
    return sorted(speeds)[len(speeds) // 2]


def wrk(client: str, path: str, seconds: int, new_connections: bool) -> dict[str, float]:
    """wrk with 100 clients: requests/s, bytes/s and errors."""
    argv = ["wrk", "-t", "2", "-c", "100", "-d", f"{seconds}s", "--timeout", "5s"]
    if new_connections:
        argv += ["-H", "Connection: close"]
    done = run_in(client, [*argv, f"https://{SITE}{path}"], seconds + 60)
    out = done.stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)([KMG]?B)", out)
    if rate is None or transfer is None:
        raise RuntimeError(f"wrk {path}: {out[-500:]} {done.stderr[-500:]}")
    scale = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": float(rate.group(1)),
        "bytes_s": float(transfer.group(1)) * scale[transfer.group(2)],
        "errors": float(sum(int(g) for g in errors.groups()) if errors else 0)
        + float(non_2xx.group(1) if non_2xx else 0),
    }


def handshake_times(client: str, count: int) -> list[float]:
    """Seconds from connect() to the TLS handshake done, for `count` sequential connections."""
    done = run_in(client, [sys.executable, "-c", HANDSHAKES, str(count), SITE, INTERNET], 300)
    if done.returncode != 0:
        raise RuntimeError(f"handshakes: {done.stderr.strip()[-500:]}")
    return sorted(json.loads(done.stdout))


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile of sorted values (nearest rank)."""
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def refuses(client: str, name: str) -> bool:
    """Whether a TLS connection for `name` to the real server fails (the proxy refused it)."""
    done = run_in(client, ["curl", "-ks", "-o", "/dev/null", "--max-time", "5", "--resolve",
                           f"{name}:443:{INTERNET}", f"https://{name}/small"], 30)  # fmt: skip
    return done.returncode != 0


def peak_memory_mib(pid: int) -> float:
    """The peak resident memory of a process and its children in the namespace, in MiB."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError):
            text = status.read_text()
            ppid = int(re.search(r"PPid:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
            if int(status.parent.name) == pid or ppid == pid:
                peak = re.search(r"VmHWM:\s+(\d+) kB", text)
                total += int(peak.group(1)) if peak else 0
    return total / 1024


def measure(client: str, seconds: int, handshakes: int, blocked: str) -> dict[str, float]:
    """Every measure for the path now in place."""
    times = handshake_times(client, handshakes)
    connections = wrk(client, "/small", seconds, new_connections=True)
    bulk = wrk(client, "/1m", seconds, new_connections=False)
    return {
        "refuses_listed": float(refuses(client, blocked)),
        "passes_unlisted": float(not refuses(client, SITE)),
        "download_mb_s": download_mb_s(client),
        "connections_s": connections["rps"],
        "connection_errors": connections["errors"],
        "aggregate_gbit_s": bulk["bytes_s"] * 8 / 1e9,
        "aggregate_errors": bulk["errors"],
        "connect_p50_ms": percentile(times, 50) * 1e3,
        "connect_p99_ms": percentile(times, 99) * 1e3,
    }


@contextlib.contextmanager
def topology() -> Iterator[Topology]:
    """Client, gateway and internet namespaces, the gateway forwarding between them."""
    topo = Topology()
    try:
        topo.build(1)
        subprocess.run(["ip", "netns", "exec", topo.gateway, "sysctl", "-qw",
                        "net.ipv4.ip_forward=1"], check=True, timeout=30)  # fmt: skip
        subprocess.run(["ip", "-n", topo.internet, "route", "add", "10.77.0.0/24", "via",
                        WAN_GATEWAY], check=True, timeout=30)  # fmt: skip
        hosts = Path("/etc/netns") / topo.clients[0] / "hosts"
        hosts.write_text(f"127.0.0.1 localhost\n{INTERNET} {SITE}\n")
        yield topo
    finally:
        topo.close()


def run(seconds: int, handshakes: int) -> dict[str, dict[str, float]]:
    """Build everything, measure the three paths, tear everything down."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: apt-get install nginx-light "
                         "squid-openssl wrk curl nftables")  # fmt: skip
    names = listed_names()
    with tempfile.TemporaryDirectory(prefix="proxy-bench-") as tmp, topology() as topo:
        work = Path(tmp)
        work.chmod(0o755)
        cert, key = self_signed_certificate(work, [SITE, "*.example.test"], "site")
        key.chmod(0o644)  # squid reads it after dropping to its own user
        client = topo.clients[0]
        topo.start(topo.internet, ["nginx", "-c", str(nginx_config(work, cert, key))])
        wait_listening(topo.internet, 443, "nginx")
        state = work / "state"
        texts = [(spec(f.split(".")[0], c), (SHARED / f).read_text()) for f, c in LISTS.items()]
        publish_lists(state, texts)
        config = work / "gateway.toml"
        config.write_text(gateway_config(state, HotspotSettings(), {}))
        results: dict[str, dict[str, float]] = {}
        redirect_to(topo.gateway, None)
        results["direct"] = measure(client, seconds, handshakes, names[0])
        ours = topo.start(topo.gateway, [sys.executable, "-c", PROXY_MAIN, str(config)])
        wait_listening(topo.gateway, OURS_PORT, "our proxy")
        redirect_to(topo.gateway, OURS_PORT)
        results["ours"] = measure(client, seconds, handshakes, names[0])
        results["ours"]["peak_memory_mib"] = peak_memory_mib(ours.pid)
        stop_process(ours)
        started = time.monotonic()
        squid_argv = ["squid", "-N", "-f", str(squid_config(work, cert, key, names))]
        squid = topo.start(topo.gateway, squid_argv, stderr=subprocess.DEVNULL)  # it logs to a file
        wait_listening(topo.gateway, SQUID_PORT, "squid", limit=300)
        results["squid"] = {"start_s": time.monotonic() - started}
        redirect_to(topo.gateway, SQUID_PORT)
        try:
            results["squid"] |= measure(client, seconds, handshakes, names[0])
        except RuntimeError as error:
            log = (work / "squid-logs" / "cache.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{error}\nsquid's cache.log ends:\n{log}") from None
        results["squid"]["peak_memory_mib"] = peak_memory_mib(squid.pid)
        results["listed_names"] = {"count": float(len(names))}
        return results


def report(results: dict[str, dict[str, float]]) -> str:
    """A Markdown table: each path, and ours against squid."""
    direct, ours, squid = results["direct"], results["ours"], results["squid"]
    rows = [
        ("listed name refused", "refuses_listed", "{:.0f}"),
        ("unlisted name passes", "passes_unlisted", "{:.0f}"),
        ("one large download, MB/s", "download_mb_s", "{:,.0f}"),
        ("new TLS connections/s, 100 clients", "connections_s", "{:,.0f}"),
        ("  errors", "connection_errors", "{:,.0f}"),
        ("100 clients fetching 1 MiB, Gbit/s", "aggregate_gbit_s", "{:.2f}"),
        ("  errors", "aggregate_errors", "{:,.0f}"),
        ("connect to handshake done p50, ms", "connect_p50_ms", "{:.3f}"),
        ("connect to handshake done p99, ms", "connect_p99_ms", "{:.3f}"),
        ("peak memory (RSS), MiB", "peak_memory_mib", "{:.1f}"),
    ]
    lines = ["| measure | direct | ours | squid | ours / squid |", "|---|---:|---:|---:|---:|"]
    for label, key, form in rows:
        cells = [form.format(r[key]) if key in r else "" for r in (direct, ours, squid)]
        ratio = f"{ours[key] / squid[key]:.2f}" if squid.get(key) and key in ours else ""
        lines.append(f"| {label} | {' | '.join(cells)} | {ratio} |")
    for key in ("connect_p50_ms", "connect_p99_ms"):
        added = [r[key] - direct[key] for r in (ours, squid)]
        lines.append(f"| added {key[8:11]} connect, ms | | {added[0]:.3f} | {added[1]:.3f} | |")
    return "\n".join(lines)


def main() -> None:
    """Parse arguments, run, print the table and the raw figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="per wrk load")
    parser.add_argument("--handshakes", type=int, default=500, help="sequential connections")
    args = parser.parse_args()
    results = run(args.seconds, args.handshakes)
    print(json.dumps(results, indent=1))
    print(f"\n{int(results['listed_names']['count']):,} listed names on both proxies\n")
    print(report(results))


if __name__ == "__main__":
    main()
