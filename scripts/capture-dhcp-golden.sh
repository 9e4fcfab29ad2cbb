#!/usr/bin/env bash
# Captures golden DHCPv4 packets from real clients for test/golden/dhcp4/ (design.md §8.3: golden data comes from
# real wire traffic, checked in with its decoded text).
#
# What it does, all inside two network namespaces it creates and removes again:
#
#   fbcap-srv: fbcapA 198.18.0.1/24 (RFC 2544 benchmarking range, no default route), busybox udhcpd answering,
#              tcpdump capturing udp 67/68 on fbcapA
#   fbcap-cli: fbcapB (the other end of the veth pair), bridged with a tap fbcapT for QEMU (bridge fbcapBr)
#
#   1. dhclient (isc-dhcp-client) on fbcapB: DISCOVER, REQUEST (SELECTING), RELEASE, then a second start with the
#      same lease file: REQUEST (INIT-REBOOT). It sends a host name and a user class from its config.
#   2. udhcpc (busybox) on fbcapB: DISCOVER, REQUEST (SELECTING and RENEWING), RELEASE; a second run adds a host
#      name (12), an FQDN (81) and a vendor class (60). The server's OFFER and ACK are kept too (real server replies).
#   3. With --qemu: QEMU (TCG, no disk) PXE-boots from a virtio NIC on fbcapT:
#        ipxe-bios  SeaBIOS + QEMU's iPXE option ROM (ipxe-qemu)
#        ovmf-x64   OVMF with no option ROM: the firmware's own EDK2 PXE client
#        ipxe-efi   OVMF + QEMU's iPXE EFI option ROM
#      Each machine has its own SMBIOS UUID (-uuid 8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a0N), so the fixtures show the
#      byte order of option 97 (protocol-digest §2.1). Each run stops (QEMU killed by its PID) once the packets
#      it is there for were seen (OVMF: on to its UEFI HTTP Boot DISCOVER), or after a time limit.
#
# For each packet kept it writes NAME.hex (the UDP payload, 32 bytes a line) and NAME.txt (`tshark -V -O dhcp` of
# the same frame, so a reader can compare our decoder with Wireshark's).
#
# Usage:  sudo scripts/capture-dhcp-golden.sh [--qemu] [OUTDIR]     (OUTDIR defaults to test/golden/dhcp4)
# Needs:  root, iproute2, tcpdump, tshark, isc-dhcp-client, udhcpc, busybox;
#         with --qemu also qemu-system-x86, ipxe-qemu, ovmf.
#         FBCAP_KEEP=1 keeps the work directory (full pcaps, client and server logs) and prints where it is.
# Safety: creates and deletes only names starting with fbcap; sends nothing outside its namespaces; every wait is
#         bounded; a trap removes everything on exit, also on error or Ctrl-C.
set -euo pipefail

QEMU=0
OUT=""
for arg in "$@"; do
  case "$arg" in
    --qemu) QEMU=1 ;;
    -h | --help) sed -n '2,31p' "$0"; exit 0 ;;
    *) OUT="$arg" ;;
  esac
done
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${OUT:-$ROOT/test/golden/dhcp4}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

[ "$(id -u)" -eq 0 ] || { echo "run as root (network namespaces)" >&2; exit 1; }
for tool in ip tcpdump tshark dhclient udhcpc busybox; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done
if [ "$QEMU" -eq 1 ]; then
  command -v qemu-system-x86_64 >/dev/null ||
    { echo "missing: qemu-system-x86 (apt-get install qemu-system-x86 ipxe-qemu ovmf)" >&2; exit 1; }
  [ -f /usr/share/ovmf/OVMF.fd ] || { echo "missing: ovmf" >&2; exit 1; }
fi

SRV=fbcap-srv
CLI=fbcap-cli
WORK="$(mktemp -d /tmp/fbcap.XXXXXX)"
PIDS=()

say() { printf '[capture] %s\n' "$*"; }

cleanup() {
  local pid
  # dhclient forks to the background once bound; its pid file names it.
  [ -s "$WORK/dhclient.pid" ] && PIDS+=("$(cat "$WORK/dhclient.pid")")
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  ip netns del "$CLI" 2>/dev/null || true
  ip netns del "$SRV" 2>/dev/null || true
  [ -n "${FBCAP_KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# For foreground commands only: a backgrounded function runs in a subshell, and $! would then be the subshell's PID,
# not the program's; background jobs call `ip netns exec` directly (it execs, so $! is the program's PID).
in_srv() { ip netns exec "$SRV" "$@"; }
in_cli() { ip netns exec "$CLI" "$@"; }

# wait_for SECONDS COMMAND...: polls COMMAND twice a second until it succeeds; fails after SECONDS.
wait_for() {
  local limit=$(($1 * 2))
  shift
  local i
  for ((i = 0; i < limit; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  return 1
}

# --- topology -----------------------------------------------------------------------------------------------------
for ns in "$SRV" "$CLI"; do
  if ip netns list | grep -qw "$ns"; then
    echo "namespace $ns exists: a previous run is active or was killed" >&2
    exit 1
  fi
done
ip netns add "$SRV"
ip netns add "$CLI"
ip link add fbcapA type veth peer name fbcapB
ip link set fbcapA netns "$SRV"
ip link set fbcapB netns "$CLI"
in_srv ip link set lo up
in_srv ip addr add 198.18.0.1/24 dev fbcapA
in_srv ip link set fbcapA up
in_cli ip link set lo up
in_cli ip link set fbcapB up

# A DHCP server that answers, so clients go on from DISCOVER to REQUEST. No router, no DNS: nothing leaves.
# EDK2 ignores an offer without a boot file (protocol-digest §2.4), so offer one; no TFTP server answers it.
cat >"$WORK/udhcpd.conf" <<EOF
start 198.18.0.100
end 198.18.0.150
interface fbcapA
max_leases 50
lease_file $WORK/udhcpd.leases
pidfile $WORK/udhcpd.pid
option subnet 255.255.255.0
option lease 600
siaddr 198.18.0.1
boot_file fbcap-none.efi
EOF
touch "$WORK/udhcpd.leases"
ip netns exec "$SRV" busybox udhcpd -f "$WORK/udhcpd.conf" >"$WORK/udhcpd.log" 2>&1 &
PIDS+=($!)

# The clients' hook: configure the leased address inside fbcap-cli (so the unicast RELEASE can leave), and touch
# nothing else (the default scripts would rewrite /etc/resolv.conf, which the namespaces share with the host).
cat >"$WORK/client-script.sh" <<'EOF'
#!/bin/sh
# dhclient passes $reason and new_*; udhcpc passes the action as $1 and ip/subnet.
echo "${reason:-$1} ${new_ip_address:-$ip}/${new_subnet_mask:-$subnet} $interface" >>"${0%.sh}.log"
case "${reason:-$1}" in
  BOUND | REBOOT | RENEW | REBIND | bound | renew)
    ip addr replace "${new_ip_address:-$ip}/${new_subnet_mask:-$subnet}" dev "$interface" ;;
  RELEASE | EXPIRE | STOP | deconfig)
    ip -4 addr flush dev "$interface" ;;
esac
exit 0
EOF
chmod +x "$WORK/client-script.sh"

# capture_start NAME: starts tcpdump on the server side; capture_stop: stops it and leaves $WORK/NAME.pcap.
CAP_PID=""
capture_start() {
  ip netns exec "$SRV" tcpdump -i fbcapA -n -U --immediate-mode -w "$WORK/$1.pcap" 'udp and (port 67 or port 68)' \
    >"$WORK/$1.tcpdump.log" 2>&1 &
  CAP_PID=$!
  PIDS+=("$CAP_PID")
  wait_for 10 grep -q 'listening on' "$WORK/$1.tcpdump.log" || { echo "tcpdump did not start" >&2; exit 1; }
}
capture_stop() {
  sleep 1
  kill "$CAP_PID" 2>/dev/null || true
  wait "$CAP_PID" 2>/dev/null || true
}

# frames PCAP FILTER: frame numbers matching a tshark display filter.
frames() { tshark -r "$1" -Y "$2" -T fields -e frame.number 2>/dev/null; }

# keep PCAP FILTER NAME: writes the first frame matching FILTER as NAME.hex and NAME.txt; says if none matched.
keep() {
  local pcap="$1" filter="$2" name="$3" frame
  frame="$(frames "$pcap" "$filter" | head -n 1)"
  if [ -z "$frame" ]; then
    say "not seen: $name ($filter)"
    return 0
  fi
  tshark -r "$pcap" -Y "frame.number == $frame" -T fields -e udp.payload 2>/dev/null |
    tr -d ':\n' | fold -w 64 >"$OUT/$name.hex"
  echo >>"$OUT/$name.hex"
  tshark -r "$pcap" -Y "frame.number == $frame" -V -O dhcp 2>/dev/null >"$OUT/$name.txt"
  say "kept $name ($(($(tr -d '\n' <"$OUT/$name.hex" | wc -c) / 2)) bytes)"
}

DISCOVER='dhcp.option.dhcp == 1'
OFFER='dhcp.option.dhcp == 2'
ACK='dhcp.option.dhcp == 5'
RELEASE='dhcp.option.dhcp == 7'
SELECTING='dhcp.option.dhcp == 3 && dhcp.option.dhcp_server_id'
RENEWING='dhcp.option.dhcp == 3 && dhcp.ip.client != 0.0.0.0'
INIT_REBOOT='dhcp.option.dhcp == 3 && !dhcp.option.dhcp_server_id && dhcp.option.requested_ip_address'

# --- 1. dhclient ----------------------------------------------------------------------------------------------------
say "dhclient"
in_cli ip link set fbcapB address 02:fb:ca:00:00:01
cat >"$WORK/dhclient.conf" <<'EOF'
send host-name "fbcap-dhclient";
send user-class "fleetboot-capture";
request subnet-mask, broadcast-address, time-offset, routers, domain-name, domain-name-servers, host-name,
        domain-search, interface-mtu, ntp-servers;
timeout 20;
retry 5;
EOF
DH=(dhclient -4 -cf "$WORK/dhclient.conf" -lf "$WORK/dhclient.leases" -pf "$WORK/dhclient.pid"
  -sf "$WORK/client-script.sh")
capture_start dhclient
# -1: try once, fail after the timeout instead of retrying forever; it forks to the background once bound.
in_cli timeout 40 "${DH[@]}" -1 fbcapB >"$WORK/dhclient.log" 2>&1 || say "dhclient did not bind (see log)"
in_cli timeout 20 "${DH[@]}" -r fbcapB >>"$WORK/dhclient.log" 2>&1 || true
# A second start with the lease file still there: INIT-REBOOT (REQUEST for the cached address, no server id).
in_cli timeout 40 "${DH[@]}" -1 fbcapB >>"$WORK/dhclient.log" 2>&1 || true
in_cli timeout 20 "${DH[@]}" -x fbcapB >>"$WORK/dhclient.log" 2>&1 || true
capture_stop
P="$WORK/dhclient.pcap"
keep "$P" "$DISCOVER" dhclient-discover
keep "$P" "$SELECTING" dhclient-request-selecting
keep "$P" "$RELEASE" dhclient-release
keep "$P" "$INIT_REBOOT" dhclient-request-init-reboot

# --- 2. udhcpc ------------------------------------------------------------------------------------------------------
say "udhcpc"
in_cli ip link set fbcapB address 02:fb:ca:00:00:02
UD=(udhcpc -i fbcapB -f -R -n -t 5 -T 2 -A 1 -s "$WORK/client-script.sh")
capture_start udhcpc
# In the foreground until bound; then SIGUSR1 renews (unicast REQUEST) and SIGTERM releases (-R).
ip netns exec "$CLI" "${UD[@]}" >"$WORK/udhcpc.log" 2>&1 &
UPID=$!
PIDS+=("$UPID")
if wait_for 20 grep -q '^bound' "$WORK/client-script.log"; then
  kill -USR1 "$UPID"
  wait_for 10 grep -q '^renew' "$WORK/client-script.log" || say "udhcpc did not renew"
  kill -TERM "$UPID" 2>/dev/null || true
else
  say "udhcpc did not bind (see $WORK/udhcpc.log)"
fi
wait_for 10 sh -c "! kill -0 $UPID" || kill -9 "$UPID" 2>/dev/null || true
capture_stop
P="$WORK/udhcpc.pcap"
keep "$P" "$DISCOVER" udhcpc-discover
keep "$P" "$SELECTING" udhcpc-request-selecting
keep "$P" "$RENEWING" udhcpc-request-renewing
keep "$P" "$RELEASE" udhcpc-release
keep "$P" "$OFFER" udhcpd-offer
keep "$P" "$ACK" udhcpd-ack

say "udhcpc with host name, FQDN and vendor class"
in_cli ip link set fbcapB address 02:fb:ca:00:00:03
capture_start udhcpc-named
in_cli timeout 30 "${UD[@]}" -q -x hostname:fbcap-udhcpc -F fbcap-udhcpc.example.test -V fleetboot-capture \
  >"$WORK/udhcpc-named.log" 2>&1 || say "udhcpc did not bind (see log)"
capture_stop
keep "$WORK/udhcpc-named.pcap" "$DISCOVER" udhcpc-named-discover

# --- 3. QEMU PXE clients --------------------------------------------------------------------------------------------
# run_qemu NAME SECONDS WANT QEMU-ARGS...: boots QEMU on the tap until a packet matching the tshark filter WANT
# was captured, or SECONDS passed; then kills QEMU by its PID.
run_qemu() {
  local name="$1" limit="$2" want="$3"
  shift 3
  capture_start "$name"
  ip netns exec "$CLI" qemu-system-x86_64 -name "fbcap-$name" -m 256 -display none -monitor none -serial none \
    -no-reboot -netdev tap,id=n0,ifname=fbcapT,script=no,downscript=no "$@" >"$WORK/$name.qemu.log" 2>&1 &
  local qpid=$!
  PIDS+=("$qpid")
  local pcap="$WORK/$name.pcap"
  wait_for "$limit" sh -c "[ -n \"\$(tshark -r '$pcap' -Y '$want' -T fields -e frame.number 2>/dev/null)\" ]" ||
    say "$name: nothing matched ($want) within ${limit}s"
  kill "$qpid" 2>/dev/null || true
  wait "$qpid" 2>/dev/null || true
  capture_stop
}

if [ "$QEMU" -eq 1 ]; then
  in_cli ip link add fbcapBr type bridge
  in_cli ip tuntap add dev fbcapT mode tap
  in_cli ip link set fbcapB master fbcapBr
  in_cli ip link set fbcapT master fbcapBr
  in_cli ip link set fbcapT up
  in_cli ip link set fbcapBr up

  say "QEMU SeaBIOS + iPXE ROM (TCG; about 30 s)"
  run_qemu ipxe-bios 120 "$SELECTING" -uuid 8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a01 -boot n \
    -device virtio-net-pci,netdev=n0,mac=52:54:00:fb:ca:10
  keep "$WORK/ipxe-bios.pcap" "$DISCOVER" ipxe-bios-discover
  keep "$WORK/ipxe-bios.pcap" "$SELECTING" ipxe-bios-request-selecting

  # After PXE over IPv4 fails (no TFTP server), OVMF tries PXE over IPv6, then UEFI HTTP Boot (about 2 minutes).
  say "QEMU OVMF, firmware PXE (no option ROM), then its HTTP Boot (TCG; about 3 minutes)"
  HTTP_DISCOVER="$DISCOVER && dhcp.option.vendor_class_id contains \"HTTPClient\""
  run_qemu ovmf-x64 360 "$HTTP_DISCOVER" -uuid 8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a02 -bios /usr/share/ovmf/OVMF.fd \
    -device virtio-net-pci,netdev=n0,mac=52:54:00:fb:ca:11,romfile=
  keep "$WORK/ovmf-x64.pcap" "$DISCOVER && dhcp.option.vendor_class_id contains \"PXEClient\"" ovmf-x64-discover
  keep "$WORK/ovmf-x64.pcap" "$SELECTING" ovmf-x64-request-selecting
  keep "$WORK/ovmf-x64.pcap" "$HTTP_DISCOVER" ovmf-x64-http-discover

  say "QEMU OVMF + iPXE EFI ROM"
  run_qemu ipxe-efi 240 "$SELECTING" -uuid 8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a03 -bios /usr/share/ovmf/OVMF.fd \
    -device virtio-net-pci,netdev=n0,mac=52:54:00:fb:ca:12
  keep "$WORK/ipxe-efi.pcap" "$DISCOVER" ipxe-efi-discover
  keep "$WORK/ipxe-efi.pcap" "$SELECTING" ipxe-efi-request-selecting
fi

say "done: $OUT"
