#!/usr/bin/env bash
# npm run bench -- tftp-burst [--rounds N] [--clients N] [--server NAME=BUILD_ROOT]... [--no-dnsmasq]
#
# A rack powering on: N clients (default 200) ask for one small file at the same instant, the moment where a
# server's per-request work (decoding, the root search, a transfer socket, the record) is all that is measured,
# unlike the kit's 1 MiB x 200 case, whose 143 000 blocks hide it. Two files: a 100-octet configuration file
# (`pxelinux.cfg/default`'s size) and a 40 KiB loader (pxelinux.0's size), blksize 1468, lock-step, tsize asked,
# as PXE ROMs ask.
#
# Servers: fleetboot from a copy of this tree's build, taken at the start (bench/snapshot-build.sh; npm run bench
# builds first), any other fleetboot build given with --server NAME=DIR (run in place: a directory holding dist/,
# package.json, static/, templates/, native/build/Release and node_modules reachable from it, e.g. a built
# worktree), and dnsmasq (the kit's command) unless --no-dnsmasq. Each measurement starts its server afresh, lets
# 20 clients fetch another file (the code warm, as on a server that has run a while), waits 1 s, then runs the
# kit's client (../shared/bench/lib/tftp-client.mjs) for the burst. Rounds interleave the servers and files: the
# file order alternates, and the server order runs forward and backward in turn, shifted by one every two rounds
# (with three servers, rounds 1–6 are all six orders), so that none is always measured first or after the same one.
#
# What is measured, and its limits: "burst" is the client's wall time, from its start (before it opens its N
# sockets) to the last transfer's end; "transfer" is one transfer's time from its RRQ to its last block (the
# median and the longest of the N). The client is one Node process on the same 2 CPUs as the server: its own
# CPU time for the burst (client_cpu_s in the raw lines, ~25 ms for the configuration file) is of the order of
# dnsmasq's whole burst, so the figures compare servers under the same client, not absolute server latency.
#
# Network rule: everything runs in a network namespace of its own (fbburst-PID, loopback only, no route out),
# deleted on exit; only PIDs started here are signalled, and each client run is bounded (timeout 90 s).
# Results: bench/results/tftp-burst-HOST-TIME.md; each measurement's line is also appended, as it is taken, to
# bench/results/raw/tftp-burst-HOST-TIME.lines, so an interrupted run keeps what it measured; the build measured
# as "fleetboot" is kept in bench/results/raw/tftp-burst-HOST-TIME.build (gitignored, about 5 MB), and a server's
# log when it did not start or its warm-up failed, as bench/results/raw/tftp-burst-HOST-TIME.SERVER-ROUND-FILE.log.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$REPO/bench/snapshot-build.sh"
KIT=$(cd "${BENCH_KIT:-$REPO/../shared/bench}" && pwd)
CLIENT="$KIT/lib/tftp-client.mjs"
RAW_DIR="$REPO/bench/results/raw"
ROUNDS=5
CLIENTS=200
DNSMASQ=1
declare -a NAMES=(fleetboot) ROOTS=("")
die() { echo "bench tftp-burst: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --rounds|--clients|--server) [ $# -ge 2 ] || die "$1 wants a value";;&
    --rounds) ROUNDS=$2; shift 2;;
    --clients) CLIENTS=$2; shift 2;;
    --server)
      [[ "$2" == *=* ]] || die "--server wants NAME=BUILD_ROOT, got '$2'"
      name=${2%%=*}
      [[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || die "--server name '$name': letters, digits, '.', '_' and '-' only"
      for taken in "${NAMES[@]}" dnsmasq; do [ "$name" != "$taken" ] || die "--server name '$name' is taken"; done
      NAMES+=("$name"); ROOTS+=("${2#*=}"); shift 2;;
    --no-dnsmasq) DNSMASQ=0; shift;;
    *) die "unknown argument $1";;
  esac
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ && "$CLIENTS" =~ ^[1-9][0-9]*$ ]] || die "--rounds and --clients want positive numbers"
[ "$(id -u)" = 0 ] || { echo "bench tftp-burst: must run as root (it creates a network namespace)" >&2; exit 1; }
[ -f "$CLIENT" ] || { echo "bench tftp-burst: $CLIENT not found (set BENCH_KIT)" >&2; exit 1; }
[ "$DNSMASQ" = 0 ] || command -v dnsmasq >/dev/null || { echo "bench tftp-burst: dnsmasq not installed (or --no-dnsmasq)" >&2; exit 1; }
for root in "$REPO" "${ROOTS[@]:1}"; do
  [ -f "$root/dist/cli/main.js" ] || { echo "bench tftp-burst: $root/dist/cli/main.js missing (npm run build)" >&2; exit 1; }
done
[ "$DNSMASQ" = 0 ] || NAMES+=(dnsmasq)

NS="fbburst-$$"
WORK=$(mktemp -d /tmp/fleetboot-burst-XXXXXX)
SERVER_PID=""
cleanup() {
  [ -z "$SERVER_PID" ] || stop_server
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
RUNID="tftp-burst-$(hostname -s)-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RAW_DIR"
LINES="$RAW_DIR/$RUNID.lines"
[ ! -e "$LINES" ] || { echo "bench tftp-burst: $LINES exists (another run this second?)" >&2; exit 1; }
: >"$LINES"
# This tree's build is copied now, and its identity recorded now: dist/ may be rebuilt during the run.
ROOTS[0]="$RAW_DIR/$RUNID.build"
snapshot_build "$REPO" "${ROOTS[0]}"
declare -a IDENTITIES=()
for i in "${!NAMES[@]}"; do
  if [ "${NAMES[$i]}" = dnsmasq ]; then IDENTITIES+=("$(dnsmasq --version | head -1)")
  elif [ "$i" = 0 ]; then IDENTITIES+=("this tree, $(source_identity "$REPO"); build sha256 $(build_hash "${ROOTS[0]}") (dist/ and the addons)")
  else IDENTITIES+=("${ROOTS[$i]}, $(source_identity "${ROOTS[$i]}"); build sha256 $(build_hash "${ROOTS[$i]}")"); fi
done

ip netns add "$NS"
ip -n "$NS" link set lo up

ROOT="$WORK/root"
mkdir -p "$ROOT"
head -c 100 /dev/urandom >"$ROOT/config"
head -c 40960 /dev/urandom >"$ROOT/loader"
head -c 1000 /dev/urandom >"$ROOT/warm"
chmod 755 "$WORK" "$ROOT"
chmod 644 "$ROOT"/*

in_ns() { ip netns exec "$NS" "$@"; }

# start_server NAME ROOT_DIR: 0 once it listens on port 69; 1, with its log's tail on stderr, if it does not.
start_server() {
  local state="$WORK/state-$1"
  rm -rf "$state"
  mkdir -p "$state"
  chmod 777 "$state"
  # `ip netns exec` itself in the background (not through in_ns, whose `&` would fork a subshell): $! is then the
  # server's own PID, since ip, env, bash and the wrappers' `exec` each replace the process.
  if [ "$1" = dnsmasq ]; then
    ip netns exec "$NS" env HB_IFACE=lo HB_SERVER_IP=127.0.0.1 HB_ROOT="$ROOT" HB_STATE_DIR="$state" \
      bash "$KIT/servers/tftp-dnsmasq.cmd" >"$WORK/server.log" 2>&1 &
  else
    ip netns exec "$NS" env HB_STATE_DIR="$state" HB_ROOT="$ROOT" HB_SERVER_IP=127.0.0.1 HB_TFTP_PORT=69 HB_HTTP_PORT=8080 \
      BENCH_FLEETBOOT_ROOT="$2" bash "$REPO/bench/servers/fleetboot-tftp.sh" >"$WORK/server.log" 2>&1 &
  fi
  SERVER_PID=$!
  for _ in $(seq 150); do
    in_ns ss -uln 2>/dev/null | grep -q '127.0.0.1:69 ' && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench tftp-burst: $1 did not start; the end of its log:" >&2
  stop_server
  server_log "$1" | tail -20 >&2
  return 1
}

# server_log NAME: what the server said: its wrapper's output, then the logs it writes in its state directory
# (fleetboot's stderr goes to fleetboot.log there).
server_log() {
  cat "$WORK/server.log"
  for log in "$WORK/state-$1"/*.log; do [ ! -f "$log" ] || { echo "--- $log"; cat "$log"; }; done
}

# As the kit does: SIGTERM, and SIGKILL 3 s later (a server may drain transfers still waiting for a last ACK).
stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 30); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

fetch() { # FILE COUNT: the kit client's JSON line
  in_ns timeout -k 5 90 node "$CLIENT" --server 127.0.0.1 --port 69 --file "$1" --blksize 1468 \
    --concurrency "$2" --count "$2" --deadline-s 60
}

# measure ROUND FILE INDEX: one measurement, its line appended to $LINES whatever happens.
measure() {
  local round=$1 file=$2 name=${NAMES[$3]} line
  if start_server "$name" "${ROOTS[$3]:-}"; then
    if fetch warm 20 >/dev/null; then
      sleep 1
      line=$(fetch "$file" "$CLIENTS" || true)
      stop_server
    else
      stop_server
      echo "bench tftp-burst: round $round $name: the warm-up fetch failed" >&2
      line='{"error":"the warm-up fetch failed"}'
      server_log "$name" >"$RAW_DIR/$RUNID.$name-$round-$file.log"
    fi
  else
    line='{"error":"server did not start"}'
    server_log "$name" >"$RAW_DIR/$RUNID.$name-$round-$file.log"
  fi
  [ -n "$line" ] || line='{"error":"no output from the client"}'
  echo "$round $file $name $line" >>"$LINES"
  echo "round $round $file $name: $(echo "$line" | grep -o '"wall_s":[0-9.]*\|"failed":[0-9]*\|"error":"[^"]*"' | paste -sd' ' -)" >&2
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
n=${#NAMES[@]}
for round in $(seq "$ROUNDS"); do
  files=(config loader)
  [ $((round % 2)) = 1 ] || files=(loader config)
  for file in "${files[@]}"; do
    shift_by=$(((round - 1) / 2))
    for k in $(seq 0 $((n - 1))); do
      step=$k
      [ $((round % 2)) = 1 ] || step=$((n - 1 - k))
      measure "$round" "$file" $(((step + shift_by) % n))
    done
  done
done

OUT="$REPO/bench/results/$RUNID.md"
{
  echo "# TFTP burst bench, run $RUNID"
  echo
  echo "- command: \`npm run bench -- tftp-burst --rounds $ROUNDS --clients $CLIENTS$(for i in "${!NAMES[@]}"; do [ "$i" = 0 ] || [ "${NAMES[$i]}" = dnsmasq ] || printf ' --server %s=%s' "${NAMES[$i]}" "${ROOTS[$i]}"; done)$([ "$DNSMASQ" = 1 ] || echo ' --no-dnsmasq')\`"
  for i in "${!NAMES[@]}"; do echo "- ${NAMES[$i]}: ${IDENTITIES[$i]}"; done
  echo "- client: ../shared/bench/lib/tftp-client.mjs, sha256 $(sha256sum "$CLIENT" | cut -c1-12)"
  echo "- machine: $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), kernel $(uname -r), node $(node --version)"
  echo "- load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- raw lines: bench/results/raw/$RUNID.lines (not committed; all of them are also below); the build measured as fleetboot: bench/results/raw/$RUNID.build"
  echo
  echo "$CLIENTS clients at once, blksize 1468, lock-step. burst: the client's wall time, from its start to the last"
  echo "transfer's end; transfer p50 / max: one transfer's RRQ to last block, the median and the longest of the"
  echo "$CLIENTS; each the median [min–max] over the rounds used: a round is left out when the server did not start,"
  echo "its warm-up fetch failed, any transfer failed or the client printed no result. vs dnsmasq: the server's median"
  echo "burst over dnsmasq's (lower is faster)."
  echo
  (cd "$REPO" && node --import tsx bench/tftp-burst-summary.ts "$LINES")
  echo
  echo "Each measurement, as the kit's client printed it (round, file, server, JSON):"
  echo
  echo '```'
  cat "$LINES"
  echo '```'
} >"$OUT"
sed -n '1,/^Each measurement/p' "$OUT"
echo "bench: summary in $OUT" >&2
