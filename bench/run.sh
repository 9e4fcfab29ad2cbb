#!/usr/bin/env bash
# npm run bench -- dhcp|tftp [kit options...]      run a bench
# npm run bench -- codec [--batches N --batch N]    DHCP decode cost per packet (catalogue D32), no root needed
# npm run bench -- timeline [--repeats N]           what a machine's timeline costs the DHCP path, in process
#                                                   (bench/dhcp-loop.ts three ways, interleaved), no root needed
# npm run bench -- store-floor [--exchanges N --batch N --repeats N]
#                                                   the least SQLite work per DORA exchange with fleetboot's schema
#                                                   (bench/dhcp-store-floor.ts), no root needed
# npm run bench -- tftp-burst [--rounds N] [--clients N] [--server NAME=BUILD_ROOT]...
#                                                   200 clients ask for one small file at once, fleetboot beside
#                                                   dnsmasq (bench/tftp-burst.sh, own namespace, needs root)
# npm run bench -- summary RUNID                    rewrite bench/results/RUNID.md from the run's raw files
# npm run bench -- cache [--repeats N] [--clients N] [--packages N]
#                                                   package cache beside apt-cacher-ng (bench/cache/, own lab)
#
# Runs one bench of the shared PXE benchmark kit (../shared/bench, or $BENCH_KIT) with fleetboot plugged in
# next to the kit's built-in peers, in one interleaved run, and writes:
#   bench/results/raw/RUNID.jsonl     the kit's raw JSON lines (gitignored)
#   bench/results/raw/RUNID.meta.md   command, commit, machine, written before the run starts (gitignored)
#   bench/results/raw/RUNID.load.txt  load average sampled every 10 s during the run (gitignored)
#   bench/results/raw/RUNID.build/    the build that was measured (a copy of dist/, see below; gitignored)
#   bench/results/RUNID.md            the above, the kit's summarize.mjs tables, and for DHCP
#                                     bench/dhcp-checks.ts (drop %, duplicate addresses per repeat)
# Extra arguments go to the kit script unchanged (e.g. --repeats 1, --peers "kea dnsmasq", --phases max);
# the kit's tunables are environment variables (e.g. MAX_CONC=500).
# Needs root: the kit creates network namespaces hbsrv/hbcli and cgroups, and deletes them at exit.
set -euo pipefail

usage() { sed -n '2,/^set -euo pipefail$/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
[ $# -ge 1 ] || { usage >&2; exit 2; }
BENCH=$1; shift

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Not FLEETBOOT_*: fleetboot rejects unknown FLEETBOOT_ variables, and the server inherits this environment.
KIT=$(cd "${BENCH_KIT:-$REPO/../shared/bench}" 2>/dev/null && pwd || echo "${BENCH_KIT:-$REPO/../shared/bench}")
RAW_DIR="$REPO/bench/results/raw"
. "$REPO/bench/snapshot-build.sh"

# uncommitted_in PATHSPEC...: the changed and untracked files under those paths, space-separated, for a results
# header to name what a run measured beyond its commit.
uncommitted_in() {
  git -C "$REPO" status --porcelain -- "$@" | awk '{print $2}' | paste -sd' ' -
}

# write_summary RUNID: bench/results/RUNID.md from the raw files only, so it can be redone after the run.
write_summary() {
  local runid=$1 out="$RAW_DIR/$1.jsonl" load="$RAW_DIR/$1.load.txt" meta="$RAW_DIR/$1.meta.md"
  [ -f "$out" ] || { echo "bench: $out not found" >&2; return 1; }
  {
    if [ -f "$meta" ]; then cat "$meta"; else echo "# run $runid"; echo; fi
    if [ -s "$load" ]; then
      echo "- load average (1/5/15 min) sampled every 10 s during the run: first $(head -1 "$load" | cut -d' ' -f2-)," \
        "last $(tail -1 "$load" | cut -d' ' -f2-), 1-min lowest $(awk 'NR==1||$2<m{m=$2} END{print m}' "$load"), highest $(awk '$2>m{m=$2} END{print m}' "$load") ($(wc -l <"$load") samples)"
    fi
    echo "- raw results: bench/results/raw/$runid.jsonl (not committed)"
    echo
    node "$KIT/lib/summarize.mjs" "$out"
    if grep -q '"bench":"dhcp"' "$out"; then
      echo
      echo "### Per repeat: clients without an ACK, retransmits, duplicate addresses (bench/dhcp-checks.ts)"
      echo
      node --import tsx "$REPO/bench/dhcp-checks.ts" "$out"
    fi
  } >"$REPO/bench/results/$runid.md"
  echo "bench: summary in $REPO/bench/results/$runid.md" >&2
}

# run_timeline [--repeats N]: bench/dhcp-loop.ts (3000 clients, 3 rounds, the last round's line kept) as `serve`
# writes (events, contacts, captured packets), without captured packets, and without any of them (--timeline 0),
# interleaved N times (default 3); each run's JSON line and a table in bench/results/RUNID.md.
run_timeline() {
  local repeats=3 runid out tmp r way line changed
  if [ "${1:-}" = --repeats ]; then repeats=${2:-}; shift 2 || shift; fi
  [ $# -eq 0 ] || { echo "bench timeline: unknown arguments: $*" >&2; exit 2; }
  [[ "$repeats" =~ ^[1-9][0-9]*$ ]] || { echo "bench timeline: --repeats wants a positive number" >&2; exit 2; }
  runid="timeline-$(hostname -s)-$(date -u +%Y%m%dT%H%M%SZ)"
  out="$REPO/bench/results/$runid.md"
  # Written whole or not at all: a run that fails midway leaves no half summary in bench/results.
  tmp=$(mktemp)
  trap 'rm -f "$tmp"' EXIT
  # Changed and untracked files under src/ and bench/ (results excluded), as the kit runs' summaries list them.
  changed=$(uncommitted_in src bench ':!bench/results')
  local ways=("--capture 1 --timeline 1" "--capture 0 --timeline 1" "--capture 0 --timeline 0")
  local lines=()
  {
    echo "# timeline bench, run $runid"
    echo
    echo "- command: \`npm run bench -- timeline --repeats $repeats\`, which ran, $repeats times in this order:"
    for way in "${ways[@]}"; do echo "  \`node --import tsx bench/dhcp-loop.ts --clients 3000 --rounds 3 $way\`"; done
    echo "- source: commit $(git -C "$REPO" rev-parse --short HEAD)${changed:+, plus uncommitted changes in: $changed}"
    echo "- machine: $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), kernel $(uname -r)"
    echo "- load average (1/5/15 min) before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "The last round of each run (warm code), as bench/dhcp-loop.ts printed it:"
    echo
    echo '```'
    for r in $(seq 1 "$repeats"); do
      for way in "${ways[@]}"; do
        # shellcheck disable=SC2086 # $way is the options, word-split on purpose
        line=$(cd "$REPO" && node --import tsx bench/dhcp-loop.ts --clients 3000 --rounds 3 $way | tail -1)
        echo "$line"
        lines+=("$r $way $line")
      done
    done
    echo '```'
    echo
    echo "| repeat | written | exchanges/s | CPU µs per exchange (this process: server and its clients) | p99 ms |"
    echo "| --- | --- | --- | --- | --- |"
    printf '%s\n' "${lines[@]}" | node -e '
      const names = { "1 1": "everything (as serve)", "0 1": "no captured packets", "0 0": "no captured packets, events or contacts" };
      for (const row of require("fs").readFileSync(0, "utf8").trim().split("\n")) {
        const [repeat, , capture, , timeline, ...json] = row.split(" ");
        const r = JSON.parse(json.join(" "));
        console.log(`| ${repeat} | ${names[capture + " " + timeline]} | ${r.exchangesPerS} | ${r.cpuUsPerExchange} | ${r.p99Ms} |`);
      }'
    echo
    echo "- load average (1/5/15 min) after: $(cut -d' ' -f1-3 /proc/loadavg)"
  } >"$tmp"
  mv "$tmp" "$out"
  cat "$out"
  echo "bench: summary in $out" >&2
}

# run_in_process NAME TOOL ARGS: a bench tool run in process (no kit, no namespaces), its output in
# bench/results/RUNID.md with the command, the commit and the load average before and after.
run_in_process() {
  local name=$1 tool=$2 runid out changed
  shift 2
  changed=$(uncommitted_in src bench ':!bench/results')
  runid="$name-$(hostname -s)-$(date -u +%Y%m%dT%H%M%SZ)"
  out="$REPO/bench/results/$runid.md"
  {
    echo "# $name bench, run $runid"
    echo
    echo "- command: \`npm run bench -- $name${*:+ $*}\`, which ran \`node --import tsx $tool${*:+ $*}\`"
    echo "- source: commit $(git -C "$REPO" rev-parse --short HEAD)${changed:+, plus uncommitted changes in: $changed}"
    echo "- machine: $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), kernel $(uname -r)"
    echo "- load average (1/5/15 min) before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    (cd "$REPO" && node --import tsx "$tool" "$@")
    echo
    echo "- load average (1/5/15 min) after: $(cut -d' ' -f1-3 /proc/loadavg)"
  } >"$out"
  cat "$out"
  echo "bench: summary in $out" >&2
}

case "$BENCH" in
  dhcp|tftp) ;;
  codec) run_in_process codec bench/dhcp-decode-cost.ts "$@"; exit;;
  store-floor) run_in_process store-floor bench/dhcp-store-floor.ts "$@"; exit;;
  timeline) run_timeline "$@"; exit;;
  tftp-burst)
    if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then (cd "$REPO" && npm run build >/dev/null); fi
    exec bash "$REPO/bench/tftp-burst.sh" "$@";;
  # Not a kit bench: it builds its own lab (src/lab) with a mirror, the caches and the clients.
  cache)
    [ "$(id -u)" = 0 ] || { echo "bench: must run as root (the lab creates network namespaces)" >&2; exit 1; }
    exec node --import tsx "$REPO/bench/cache/cache-bench.ts" "$@";;
  summary) [ $# -eq 1 ] || { usage >&2; exit 2; }; write_summary "$1"; exit;;
  -h|--help) usage; exit 0;;
  *) echo "bench: unknown bench '$BENCH' (dhcp, tftp, tftp-burst, codec, timeline, store-floor, cache or summary)" >&2; exit 2;;
esac
[ "$(id -u)" = 0 ] || { echo "bench: must run as root (the kit creates network namespaces)" >&2; exit 1; }
[ -x "$KIT/$BENCH-bench.sh" ] || { echo "bench: $KIT/$BENCH-bench.sh not found (set BENCH_KIT)" >&2; exit 1; }

RUNID="$BENCH-$(hostname -s)-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RAW_DIR"
OUT="$RAW_DIR/$RUNID.jsonl"
LOAD="$RAW_DIR/$RUNID.load.txt"
META="$RAW_DIR/$RUNID.meta.md"

# Benchmark what is in the tree now, not an older dist/. BENCH_NO_BUILD=1 skips it (e.g. build just done).
# What was built is recorded now, not at the end: other engineers commit and edit src/ during a long run.
if [ "${BENCH_NO_BUILD:-0}" != 1 ]; then (cd "$REPO" && npm run build >/dev/null); fi
BUILT_FROM="$(git -C "$REPO" rev-parse --short HEAD)"
DIRTY="$(uncommitted_in src native)"
# The build is copied into the run's raw dir and the wrapper runs that copy (bench/snapshot-build.sh says why).
SNAP="$RAW_DIR/$RUNID.build"
snapshot_build "$REPO" "$SNAP"
export BENCH_FLEETBOOT_ROOT="$SNAP"

# The server command, as the kit's contract wants it: run by `bash -c` in the server namespace, $HB_* expanded
# there (single quotes keep them literal here).
SERVER_CMD="exec bash '$REPO/bench/servers/fleetboot-$BENCH.sh'"
CMD=("$KIT/$BENCH-bench.sh" --out "$OUT" --server "fleetboot=$SERVER_CMD" "$@")

# Kit tunables set in the environment change what is measured, so they belong in the record of the run.
TUNABLES="$(env | grep -E '^(MAX_CONC|CLIENTS|PACED_CLIENTS|PACED_RATE|PERF_RATE|LOAD_TIMEOUT_MS|HB_SPIN|ATFTPD_BIN|BENCH_KIT|SINGLE_[A-Z]+|CONC_[A-Z]+|IMPAIR_[A-Z]+|LOSSY_[A-Z]+)=' | paste -sd' ' - || true)"
DIRTY_NOTE=""
[ -n "$DIRTY" ] && DIRTY_NOTE=", plus uncommitted work in progress by other engineers in: $DIRTY"
{
  echo "# $BENCH bench, run $RUNID"
  echo
  echo "- command: \`${TUNABLES:+$TUNABLES }npm run bench -- $BENCH${*:+ $*}\`, which ran:"
  echo "  \`$(printf '%q ' "${CMD[@]}" | sed 's/ $//')\`"
  echo "- fleetboot built from commit $BUILT_FROM$DIRTY_NOTE"
  echo "- machine: $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), kernel $(uname -r), node $(node --version)"
} >"$META"

# Other jobs share this machine's CPUs; sample the load so the summary can say how noisy the run was.
# Only this sampler's PID is ever signalled.
( trap 'exit 0' TERM; while :; do printf '%s %s\n' "$(date -u +%FT%TZ)" "$(cut -d' ' -f1-3 /proc/loadavg)"; sleep 10; done ) >"$LOAD" &
SAMPLER=$!
trap 'kill "$SAMPLER" 2>/dev/null || true' EXIT

echo "bench: $(printf '%q ' "${CMD[@]}")" >&2
rc=0
"${CMD[@]}" || rc=$?
kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true
echo "- kit exit status: $rc" >>"$META"
write_summary "$RUNID"
exit "$rc"
