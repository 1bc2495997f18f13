#!/usr/bin/env bash
# hotspot-gateway installer for Debian 12/13 and Ubuntu 22.04/24.04 (amd64, arm64).
#
#   sudo deploy/install.sh                       # detect the two ports, ask, install
#   sudo deploy/install.sh --lan eth1 --wan eth0 --yes
#   sudo deploy/install.sh --uninstall [--purge]
#
# Safe to run twice: an existing /etc/hotspot-gateway/gateway.toml is kept as staff left it,
# everything else is brought up to date. Bad input (an interface that does not exist, an
# address outside the subnet, a port another program holds) stops it with the key to fix
# before anything is changed. --root DIR installs into DIR instead of / (for images and tests:
# no packages, no services started).
set -euo pipefail

SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT=""
LAN="" WAN="" LAN_ADDRESS="10.77.0.1" SUBNET="10.77.0.0/24"
ASSUME_YES=0 PACKAGES=1 UNINSTALL=0 PURGE=0 WHEELS=""
OPT=/opt/hotspot-gateway
ETC=/etc/hotspot-gateway
STATE=/var/lib/hotspot-gateway
UNITS=(hotspot-gateway.service hotspot-gateway-update.service hotspot-gateway-update.timer)
DNSMASQ_SNIPPET=/etc/dnsmasq.d/hotspot-gateway.conf
RESOLVED_DROPIN=/etc/systemd/resolved.conf.d/hotspot-gateway.conf
MANIFEST=$OPT/install-manifest   # what we turned off, to turn back on at --uninstall
OTHER_DHCP=(isc-dhcp-server.service kea-dhcp4-server.service udhcpd.service)

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$1" >&2; exit "${2:-1}"; }
bad_input() { die "$1" 2; }

usage() {
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'EOF'
Options:
  --lan IF            hotspot-side interface (network.lan_interface)
  --wan IF            uplink interface (network.wan_interface)
  --lan-address A     the gateway's LAN address (network.lan_address, default 10.77.0.1)
  --subnet CIDR       the phones' subnet (network.client_subnet, default 10.77.0.0/24)
  --yes               accept detected interfaces without asking
  --no-packages       do not apt-get install (they are already there)
  --wheels DIR        install the program from wheels in DIR, without PyPI (a thin uplink:
                      make one with `pip wheel -w DIR . "setuptools>=74.1"` on any machine)
  --root DIR          install into DIR instead of /: no packages, no services started
  --uninstall         remove the program, units and DHCP snippet; keep config and lists
  --purge             with --uninstall: also remove the config, lists, sessions and audit log
EOF
}

parse_args() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --lan) LAN="${2:?--lan needs an interface}"; shift ;;
            --wan) WAN="${2:?--wan needs an interface}"; shift ;;
            --lan-address) LAN_ADDRESS="${2:?--lan-address needs an address}"; shift ;;
            --subnet) SUBNET="${2:?--subnet needs a CIDR}"; shift ;;
            --yes|-y) ASSUME_YES=1 ;;
            --no-packages) PACKAGES=0 ;;
            --wheels) WHEELS="$(realpath "${2:?--wheels needs a directory}")"; shift ;;
            --root) ROOT="$(realpath -m "${2:?--root needs a directory}")"; PACKAGES=0; shift ;;
            --uninstall) UNINSTALL=1 ;;
            --purge) PURGE=1 ;;
            -h|--help) usage; exit 0 ;;
            *) bad_input "unknown option $1 (see --help)" ;;
        esac
        shift
    done
}

# --- checks that come before any change -------------------------------------------------

check_system() {
    [ "$(id -u)" -eq 0 ] || die "run as root: sudo $0 $*"
    [ -r /etc/os-release ] || die "cannot tell the operating system (/etc/os-release missing)"
    # shellcheck disable=SC1091
    . /etc/os-release
    case "${ID}:${VERSION_ID:-}" in
        debian:12|debian:13|ubuntu:22.04|ubuntu:24.04) ;;
        *) die "supported: Debian 12/13, Ubuntu 22.04/24.04; this is ${PRETTY_NAME:-$ID}" ;;
    esac
    case "$(uname -m)" in
        x86_64|aarch64) ;;
        *) die "supported: amd64 and arm64; this is $(uname -m)" ;;
    esac
}

interface_exists() { ip link show dev "$1" >/dev/null 2>&1; }

interfaces() {  # candidate ports, one a line: network cards first, then the rest
    local all
    all="$(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' \
        | grep -Ev '^(lo|docker|veth|br-|virbr|tun|tap|wg|ifb|dummy)' || true)"
    for name in $all; do [ -e "/sys/class/net/$name/device" ] && echo "$name"; done
    for name in $all; do [ -e "/sys/class/net/$name/device" ] || echo "$name"; done
}

detect_interfaces() {
    if [ -z "$WAN" ]; then
        WAN="$(ip -o route show default 2>/dev/null | awk '{for(i=1;i<NF;i++) if ($i=="dev") {print $(i+1); exit}}')"
    fi
    if [ -z "$LAN" ]; then
        LAN="$(interfaces | grep -vx "$WAN" | head -n 1)"
    fi
    [ -n "$WAN" ] || bad_input "network.wan_interface: no default route to find the uplink by; pass --wan IF (have: $(interfaces | paste -sd, -))"
    [ -n "$LAN" ] || bad_input "network.lan_interface: no second port found; pass --lan IF (have: $(interfaces | paste -sd, -))"
}

confirm_interfaces() {
    [ "$ASSUME_YES" -eq 1 ] && return
    if [ ! -t 0 ]; then
        bad_input "not a terminal to ask on: pass --yes to accept LAN=$LAN WAN=$WAN, or --lan/--wan"
    fi
    printf 'LAN (hotspot / titik akses) = %s, WAN (uplink) = %s. Benar / correct? [y/N] ' "$LAN" "$WAN"
    read -r answer
    case "$answer" in y|Y|ya|Ya|yes) ;; *) bad_input "stopped: pass --lan IF --wan IF" ;; esac
}

ip_to_int() {
    local IFS=. a b c d
    read -r a b c d <<<"$1"
    for part in "$a" "$b" "$c" "$d"; do
        [[ "$part" =~ ^[0-9]+$ ]] && [ "$part" -le 255 ] || return 1
    done
    echo $(( (a << 24) | (b << 16) | (c << 8) | d ))
}

check_addresses() {
    local address network bits mask
    address="$(ip_to_int "$LAN_ADDRESS")" || bad_input "network.lan_address: '$LAN_ADDRESS' is not an IPv4 address"
    [[ "$SUBNET" =~ ^([0-9.]+)/([0-9]+)$ ]] || bad_input "network.client_subnet: '$SUBNET' is not a network like 10.77.0.0/24"
    network="$(ip_to_int "${BASH_REMATCH[1]}")" || bad_input "network.client_subnet: '$SUBNET' is not a network like 10.77.0.0/24"
    bits="${BASH_REMATCH[2]}"
    if [ "$bits" -lt 8 ] || [ "$bits" -gt 30 ]; then
        bad_input "network.client_subnet: /$bits must be /8 to /30"
    fi
    mask=$(( (0xffffffff << (32 - bits)) & 0xffffffff ))
    [ $(( address & mask )) -eq $(( network & mask )) ] \
        || bad_input "network.lan_address: $LAN_ADDRESS is outside network.client_subnet $SUBNET; pick an address inside it (e.g. --lan-address ${BASH_REMATCH[1]%.*}.1)"
}

check_interfaces() {
    local have
    have="$(interfaces | paste -sd, -)"
    interface_exists "$LAN" || bad_input "network.lan_interface: no interface '$LAN' on this machine (have: $have); pass --lan with one of them"
    interface_exists "$WAN" || bad_input "network.wan_interface: no interface '$WAN' on this machine (have: $have); pass --wan with one of them"
    [ "$LAN" != "$WAN" ] || bad_input "network.lan_interface and network.wan_interface are both '$LAN': the hotspot and the uplink need a port each"
}

# --- the install ------------------------------------------------------------------------

pick_python() {
    for candidate in python3 python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
            command -v "$candidate"; return
        fi
    done
    die "needs Python 3.11 or newer (Ubuntu 22.04: apt-get install python3.11 python3.11-venv)"
}

install_packages() {
    [ "$PACKAGES" -eq 1 ] || return 0
    # shellcheck disable=SC1091
    . /etc/os-release
    local python_pkgs="python3 python3-venv python3-dev"
    [ "${VERSION_ID}" = "22.04" ] && python_pkgs="python3.11 python3.11-venv python3.11-dev"
    say "Memasang paket / installing packages ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq $python_pkgs gcc nftables conntrack iproute2 dnsmasq openssl ca-certificates
}

copy_source() {
    # The program reads its pages (portal_pages/) and shipped lists (blocklists/) beside its
    # code, so the whole tree goes to /opt and is installed from there; build leftovers stay.
    local src="$ROOT$OPT/src"
    rm -rf "$src.new"
    mkdir -p "$src.new"
    tar -C "$SOURCE" --exclude=.git --exclude='.venv*' --exclude=.wheelhouse --exclude=dist \
        --exclude=test-artifacts --exclude=__pycache__ --exclude='*.so' --exclude=build \
        --exclude='*.egg-info' --exclude=.mypy_cache --exclude=.pytest_cache \
        --exclude=.ruff_cache -cf - . | tar -x -C "$src.new"
    rm -rf "$src"
    mv "$src.new" "$src"
}

install_program() {
    local python venv="$ROOT$OPT/venv" src="$ROOT$OPT/src"
    python="$(pick_python)"
    say "Memasang program / installing the program into $OPT ..."
    mkdir -p "$ROOT$OPT"
    copy_source
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    if [ -n "$WHEELS" ]; then
        [ -d "$WHEELS" ] || bad_input "--wheels: no directory $WHEELS"
        "$venv/bin/python" -m pip install -q --upgrade --no-index --find-links "$WHEELS" -e "$src"
    else
        "$venv/bin/python" -m pip install -q --upgrade pip
        "$venv/bin/python" -m pip install -q --upgrade -e "$src"
    fi
    install -m 0644 "$SOURCE/README.md" "$ROOT$OPT/README.md"
}

write_config() {
    # Written beside the real one and checked by `run --preflight` first, so a bad value or a
    # taken port leaves the machine as it was.
    local target="$ROOT$ETC/gateway.toml" candidate
    mkdir -p "$ROOT$ETC"
    if [ -f "$target" ]; then
        say "Konfigurasi lama dipertahankan / keeping the existing $ETC/gateway.toml"
        candidate="$target"
    else
        candidate="$(mktemp "$ROOT$ETC/.gateway.toml.XXXXXX")"
        sed -e "s|^lan_interface = \"eth1\"|lan_interface = \"$LAN\"|" \
            -e "s|^wan_interface = \"eth0\"|wan_interface = \"$WAN\"|" \
            -e "s|10\\.77\\.0\\.1|$LAN_ADDRESS|g" \
            -e "s|^client_subnet = \"10.77.0.0/24\"|client_subnet = \"$SUBNET\"|" \
            "$SOURCE/deploy/gateway.example.toml" >"$candidate"
    fi
    if ! "$ROOT$OPT/venv/bin/hotspot-gateway" run --preflight --config "$candidate" >/dev/null; then
        [ "$candidate" = "$target" ] || rm -f "$candidate"
        die "fix the key named above, then run install.sh again (nothing was changed)" 2
    fi
    if [ "$candidate" != "$target" ]; then
        chmod 0640 "$candidate"
        mv "$candidate" "$target"
        say "Konfigurasi ditulis / wrote $ETC/gateway.toml (LAN $LAN, WAN $WAN)"
    fi
}

install_units() {
    mkdir -p "$ROOT/etc/systemd/system"
    for unit in "${UNITS[@]}"; do
        install -m 0644 "$SOURCE/deploy/systemd/$unit" "$ROOT/etc/systemd/system/$unit"
    done
    mkdir -p "$ROOT$STATE" "$(dirname "$ROOT$DNSMASQ_SNIPPET")"
    chmod 0750 "$ROOT$STATE"
    "$ROOT$OPT/venv/bin/hotspot-gateway" dhcp-config --config "$ROOT$ETC/gateway.toml" \
        >"$ROOT$DNSMASQ_SNIPPET"
}

systemd_running() { [ -z "$ROOT" ] && [ -d /run/systemd/system ]; }

handle_conflicts() {
    systemd_running || return 0
    mkdir -p "$OPT"
    touch "$MANIFEST"
    for other in "${OTHER_DHCP[@]}"; do
        if systemctl is-enabled --quiet "$other" 2>/dev/null || systemctl is-active --quiet "$other"; then
            say "Mematikan server DHCP lain / turning off another DHCP server: $other"
            systemctl disable --now "$other" >/dev/null 2>&1 || true
            grep -qx "enable $other" "$MANIFEST" || echo "enable $other" >>"$MANIFEST"
        fi
    done
    # systemd-resolved's stub holds 127.0.0.53:53 only; it is in the way only of a resolver
    # told to listen on every address.
    if systemctl is-active --quiet systemd-resolved \
        && grep -Eq '^listen = .*"(0\.0\.0\.0|\[::\]):53"' "$ETC/gateway.toml"; then
        mkdir -p "$(dirname "$RESOLVED_DROPIN")"
        printf '[Resolve]\n# hotspot-gateway answers DNS on port 53 of every address\nDNSStubListener=no\n' \
            >"$RESOLVED_DROPIN"
        systemctl restart systemd-resolved
    fi
}

start_services() {
    if ! systemd_running; then
        say "Tanpa systemd: layanan tidak dijalankan / no systemd here: services not started"
        return 0
    fi
    systemctl daemon-reload
    systemctl enable --now hotspot-gateway.service hotspot-gateway-update.timer
    systemctl restart dnsmasq.service || say "dnsmasq tidak jalan / dnsmasq did not start: journalctl -u dnsmasq"
    # The first lists, now, rather than at tonight's timer.
    [ -n "$(ls -A "$STATE/snapshots" 2>/dev/null)" ] || systemctl start --no-block hotspot-gateway-update.service
    say "Selesai / done. Periksa / check: hotspot-gateway doctor --config $ETC/gateway.toml"
}

uninstall() {
    say "Menghapus / uninstalling hotspot-gateway ..."
    if systemd_running; then
        systemctl disable --now "${UNITS[@]}" >/dev/null 2>&1 || true
    fi
    # Our table only: the machine's own firewall rules stay as they were.
    [ -n "$ROOT" ] || nft delete table inet hotspot_gateway 2>/dev/null || true
    for unit in "${UNITS[@]}"; do rm -f "$ROOT/etc/systemd/system/$unit"; done
    rm -f "$ROOT$DNSMASQ_SNIPPET" "$ROOT$RESOLVED_DROPIN"
    if systemd_running; then
        systemctl daemon-reload
        [ -f "$MANIFEST" ] && while read -r action unit; do
            if [ "$action" = enable ]; then
                systemctl enable --now "$unit" >/dev/null 2>&1 || true
            fi
        done <"$MANIFEST"
        systemctl try-restart dnsmasq.service systemd-resolved.service 2>/dev/null || true
    fi
    rm -rf "$ROOT$OPT"
    if [ "$PURGE" -eq 1 ]; then
        rm -rf "$ROOT$ETC" "$ROOT$STATE"
        say "Konfigurasi dan daftar dihapus / config and lists removed"
    else
        say "Dipertahankan / kept: $ETC (config) and $STATE (lists, sessions, audit log); --purge removes them"
    fi
}

main() {
    parse_args "$@"
    [ -n "$ROOT" ] || check_system "$@"
    if [ "$UNINSTALL" -eq 1 ]; then
        uninstall
        return
    fi
    [ "$PURGE" -eq 0 ] || bad_input "--purge goes with --uninstall"
    check_addresses
    detect_interfaces
    check_interfaces
    confirm_interfaces
    install_packages
    install_program
    write_config
    install_units
    handle_conflicts
    start_services
}

main "$@"
