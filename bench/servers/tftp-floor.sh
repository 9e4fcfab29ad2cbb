#!/usr/bin/env bash
# bench/tftp-floor.c under the shared bench kit's server contract (../shared/bench/README.md), as
# `--server "floor=exec bash $PWD/bench/servers/tftp-floor.sh"`, with the floor's flags after it (`spin`,
# `unconnected`: bench/tftp-floor.c): the least a TFTP server does for the kit's transfers, to measure how fast the
# kit's clients go when the server costs next to nothing (bench/README.md "The clients' ceiling"). No
# retransmission: for the kit's loss-free runs only.
set -euo pipefail
: "${HB_STATE_DIR:?run by the bench kit, which sets HB_STATE_DIR}"
: "${HB_ROOT:?}" "${HB_SERVER_IP:?}" "${HB_TFTP_PORT:?}"
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Built beside the raw results, not per measurement: a compiler's CPU time must not count as the server's.
BINARY="$REPO/bench/results/raw/tftp-floor"
[ -x "$BINARY" ] && [ "$BINARY" -nt "$REPO/bench/tftp-floor.c" ] || {
  echo "tftp-floor.sh: $BINARY missing or older than bench/tftp-floor.c; build it first:" >&2
  echo "  cc -O2 -std=c11 -Wall -Wextra -o bench/results/raw/tftp-floor bench/tftp-floor.c" >&2
  exit 1
}
exec "$BINARY" "$HB_SERVER_IP" "$HB_TFTP_PORT" "$HB_ROOT" "$@" 2>>"$HB_STATE_DIR/tftp-floor.log"
