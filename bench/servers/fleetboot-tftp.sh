#!/usr/bin/env bash
# fleetboot as a TFTP server under the shared bench kit's server contract (../shared/bench/README.md):
# run with `bash -c` inside netns hbsrv, freshly for every measurement, with the HB_* variables set.
#
# `fleetboot serve` starts TFTP from commit 5273dc6 on; with an older build the kit's readiness probe (UDP port
# $HB_TFTP_PORT bound) fails and the kit records "server did not start".
set -euo pipefail

: "${HB_STATE_DIR:?run by the bench kit, which sets HB_STATE_DIR}"
: "${HB_ROOT:?}" "${HB_SERVER_IP:?}" "${HB_TFTP_PORT:?}" "${HB_HTTP_PORT:?}"

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# bench/run.sh sets BENCH_FLEETBOOT_ROOT to its private copy of the build, so that a rebuild of the shared dist/
# during a run cannot change the server between measurements; run by hand, the repository's own dist/ is used.
MAIN="${BENCH_FLEETBOOT_ROOT:-$REPO}/dist/cli/main.js"
[ -f "$MAIN" ] || { echo "fleetboot-tftp.sh: $MAIN missing; run npm run build" >&2; exit 1; }
CONFIG="$HB_STATE_DIR/fleetboot.yaml"

# Choices, and why:
# - roots: the kit's HB_ROOT (small.bin, big.bin), read-only.
# - blocksize 8192 / windowsize 64: the largest values the kit asks for, so fleetboot is not capped below
#   what the peers grant (fleetboot may still cap blksize to the interface MTU, as issue 4 asks).
# - maxPerClient = maxTransfers = 1000: every kit client comes from one address (the hbcli veth), and the
#   concurrent cases run 200 transfers at once; the default per-client cap (8) would refuse most of them.
# - dhcp off; HTTP on the contract's port so it does not collide with anything else in the namespace.
cat > "$CONFIG" <<YAML
dataDir: $HB_STATE_DIR/data
store: sqlite
log:
  level: warn
http:
  listen: $HB_SERVER_IP:$HB_HTTP_PORT
tftp:
  enabled: true
  listen: $HB_SERVER_IP:$HB_TFTP_PORT
  roots: [$HB_ROOT]
  blocksize: 8192
  windowsize: 64
  maxTransfers: 1000
  maxPerClient: 1000
dhcp:
  mode: off
YAML

# fleetboot logs JSON lines to stderr; the kit wants logs in the state dir, not on stdout.
exec node "$MAIN" serve -c "$CONFIG" 2>>"$HB_STATE_DIR/fleetboot.log"
