#!/usr/bin/env bash
# npm run bench -- tftp-burst [--rounds N] [--clients N] [--server NAME=BUILD_ROOT]... [--no-dnsmasq]
#
# A rack powering on: N clients (default 200) ask for one small file at the same instant, the moment where a
# server's per-request work (decoding, the root search, a transfer socket, the record) is all that is measured,
# unlike the kit's 1 MiB x 200 case, whose 143 000 blocks hide it. Two files: a 100-octet configuration file
# (`pxelinux.cfg/default`'s size) and a 40 KiB loader (pxelinux.0's size), blksize 1468, lock-step, tsize asked,
# as PXE ROMs ask.
#
# Servers: fleetboot from this tree's build (as `npm run bench -- tftp` copies it), any other fleetboot build given
# with --server NAME=DIR (a directory holding dist/, package.json, static/, templates/, native/build/Release and
# node_modules reachable from it, e.g. a built worktree), and dnsmasq (the kit's command) unless --no-dnsmasq.
# Each measurement starts its server afresh, lets 20 clients fetch another file (the code warm, as on a server
# that has run a while), waits 1 s, then times the burst with the kit's client (../shared/bench/lib/tftp-client.mjs):
# from the first RRQ to the last transfer's last block. Rounds interleave the servers (default 5).
#
# Network rule: everything runs in a network namespace of its own (fbburst-PID, loopback only, no route out),
# deleted on exit; only PIDs started here are signalled. Results: bench/results/tftp-burst-HOST-TIME.md.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KIT=$(cd "${BENCH_KIT:-$REPO/../shared/bench}" && pwd)
CLIENT="$KIT/lib/tftp-client.mjs"
ROUNDS=5
CLIENTS=200
DNSMASQ=1
declare -a NAMES=(fleetboot) ROOTS=("${BENCH_FLEETBOOT_ROOT:-$REPO}")
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) ROUNDS=$2; shift 2;;
    --clients) CLIENTS=$2; shift 2;;
    --server) NAMES+=("${2%%=*}"); ROOTS+=("${2#*=}"); shift 2;;
    --no-dnsmasq) DNSMASQ=0; shift;;
    *) echo "bench tftp-burst: unknown argument $1" >&2; exit 2;;
  esac
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ && "$CLIENTS" =~ ^[1-9][0-9]*$ ]] || { echo "bench tftp-burst: --rounds and --clients want positive numbers" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench tftp-burst: must run as root (it creates a network namespace)" >&2; exit 1; }
[ -f "$CLIENT" ] || { echo "bench tftp-burst: $CLIENT not found (set BENCH_KIT)" >&2; exit 1; }
[ "$DNSMASQ" = 0 ] || command -v dnsmasq >/dev/null || { echo "bench tftp-burst: dnsmasq not installed (or --no-dnsmasq)" >&2; exit 1; }
for root in "${ROOTS[@]}"; do
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

start_server() { # NAME ROOT_DIR
  local state="$WORK/state-$1"
  rm -rf "$state"
  mkdir -p "$state"
  chmod 777 "$state"
  # `ip netns exec` itself in the background (not through in_ns, whose `&` would fork a subshell): $! is then the
  # server's own PID, since ip, env, bash and the wrappers' `exec` each replace the process.
  if [ "$1" = dnsmasq ]; then
    ip netns exec "$NS" env HB_IFACE=lo HB_SERVER_IP=127.0.0.1 HB_ROOT="$ROOT" HB_STATE_DIR="$state" \
      bash "$KIT/servers/tftp-dnsmasq.cmd" &
  else
    ip netns exec "$NS" env HB_STATE_DIR="$state" HB_ROOT="$ROOT" HB_SERVER_IP=127.0.0.1 HB_TFTP_PORT=69 HB_HTTP_PORT=8080 \
      BENCH_FLEETBOOT_ROOT="$2" bash "$REPO/bench/servers/fleetboot-tftp.sh" &
  fi
  SERVER_PID=$!
  for _ in $(seq 150); do
    in_ns ss -uln 2>/dev/null | grep -q '127.0.0.1:69 ' && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench tftp-burst: $1 did not start" >&2
  exit 1
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
  in_ns node "$CLIENT" --server 127.0.0.1 --port 69 --file "$1" --blksize 1468 \
    --concurrency "$2" --count "$2" --deadline-s 60
}

RUNID="tftp-burst-$(hostname -s)-$(date -u +%Y%m%dT%H%M%SZ)"
LINES="$WORK/lines"
: >"$LINES"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
  for file in config loader; do
    for i in "${!NAMES[@]}"; do
      name=${NAMES[$i]}
      start_server "$name" "${ROOTS[$i]:-}"
      fetch warm 20 >/dev/null
      sleep 1
      line=$(fetch "$file" "$CLIENTS" || true)
      stop_server
      echo "$round $file $name $line" >>"$LINES"
      echo "round $round $file $name: $(echo "$line" | grep -o '"wall_s":[0-9.]*'), $(echo "$line" | grep -o '"failed":[0-9]*')" >&2
    done
  done
done

changed=$(git -C "$REPO" status --porcelain -- src native bench ':!bench/results' | awk '{print $2}' | tr '\n' ' ')
OUT="$REPO/bench/results/$RUNID.md"
{
  echo "# TFTP burst bench, run $RUNID"
  echo
  echo "- command: \`npm run bench -- tftp-burst --rounds $ROUNDS --clients $CLIENTS$(for i in "${!NAMES[@]}"; do [ "$i" = 0 ] || [ "${NAMES[$i]}" = dnsmasq ] || printf ' --server %s=%s' "${NAMES[$i]}" "${ROOTS[$i]}"; done)$([ "$DNSMASQ" = 1 ] || echo ' --no-dnsmasq')\`"
  echo "- fleetboot: this tree, commit $(git -C "$REPO" rev-parse --short HEAD)${changed:+, plus uncommitted changes in: $changed}"
  echo "- machine: $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), kernel $(uname -r), node $(node --version)"
  echo "- load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "$CLIENTS clients at once, blksize 1468, lock-step; wall time of the burst (first RRQ to last block) in ms,"
  echo "median [min–max] of $ROUNDS rounds; ratio: the server's median over dnsmasq's (lower is faster)."
  echo
  node -e '
    const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => {
      const [round, file, name, ...json] = l.split(" ");
      let r = {};
      try { r = JSON.parse(json.join(" ")); } catch {}
      return { round, file, name, ms: r.wall_s === undefined ? NaN : r.wall_s * 1000, failed: r.failed ?? "?" };
    });
    const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
    const f1 = (x) => x.toFixed(1);
    console.log("| file | server | burst ms | vs dnsmasq | failed transfers per round |");
    console.log("| --- | --- | --- | --- | --- |");
    for (const file of ["config", "loader"]) {
      const of = (name) => rows.filter((r) => r.file === file && r.name === name);
      const ref = of("dnsmasq").map((r) => r.ms);
      for (const name of [...new Set(rows.map((r) => r.name))]) {
        const ms = of(name).map((r) => r.ms);
        const ratio = ref.length ? `${(median(ms) / median(ref)).toFixed(2)}×` : "–";
        console.log(`| ${file} | ${name} | ${f1(median(ms))} [${f1(Math.min(...ms))}–${f1(Math.max(...ms))}] | ${ratio} | ${of(name).map((r) => r.failed).join("/")} |`);
      }
    }' "$LINES"
  echo
  echo "Each measurement, as the kit's client printed it (round, file, server, JSON):"
  echo
  echo '```'
  cat "$LINES"
  echo '```'
} >"$OUT"
cat "$OUT" | sed -n '1,/^Each measurement/p'
echo "bench: summary in $OUT" >&2
