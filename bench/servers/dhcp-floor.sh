#!/usr/bin/env bash
# bench/dhcp-floor.js under the shared bench kit's server contract (../shared/bench/README.md), as
# `--server "floor-transport=exec bash $PWD/bench/servers/dhcp-floor.sh transport"` (or `codec`): the least a
# Node.js DHCP server with fleetboot's transport does for the kit's load, measured beside fleetboot and Kea.
set -euo pipefail
: "${HB_STATE_DIR:?run by the bench kit, which sets HB_STATE_DIR}"
LEVEL=${1:?usage: dhcp-floor.sh transport|codec [warm-up exchanges]}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# dhcp-floor.js imports fleetboot's build: fail loudly rather than measure nothing.
[ -f "${BENCH_FLEETBOOT_ROOT:-$REPO}/dist/net/udp-interface-socket.js" ] || {
  echo "dhcp-floor.sh: ${BENCH_FLEETBOOT_ROOT:-$REPO}/dist missing; run npm run build" >&2; exit 1; }
exec node "$REPO/bench/dhcp-floor.js" --level "$LEVEL" ${2:+--warm "$2"} 2>>"$HB_STATE_DIR/dhcp-floor.log"
