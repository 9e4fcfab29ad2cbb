#!/usr/bin/env bash
# fleetboot as a DHCP server under the shared bench kit's server contract (../shared/bench/README.md):
# the kit runs this with `bash -c` inside netns hbsrv, freshly for every measurement, with the HB_* variables set
# and an empty, writable $HB_STATE_DIR.
#
# dhcp.subnets is a list of mappings, which fleetboot reads only from a file (environment variables carry
# scalars only), so the whole configuration is written as a YAML file into the state dir and passed with -c.
set -euo pipefail

: "${HB_STATE_DIR:?run by the bench kit, which sets HB_STATE_DIR}"
: "${HB_IFACE:?}" "${HB_SERVER_IP:?}" "${HB_PREFIX:?}" "${HB_POOL_START:?}" "${HB_POOL_END:?}" "${HB_HTTP_PORT:?}"

# The repository root, from this file's location (bench/servers/), so the kit can call it from any directory.
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# bench/run.sh sets BENCH_FLEETBOOT_ROOT to its private copy of the build, so that a rebuild of the shared dist/
# during a run cannot change the server between measurements; run by hand, the repository's own dist/ is used.
MAIN="${BENCH_FLEETBOOT_ROOT:-$REPO}/dist/cli/main.js"
# Fail loudly instead of benchmarking a stale or missing build: `npm run bench` builds first.
[ -f "$MAIN" ] || { echo "fleetboot-dhcp.sh: $MAIN missing; run npm run build" >&2; exit 1; }

# fleetboot wants the subnet written with its network address (198.18.0.1/16 -> 198.18.0.0/16).
network_of() {
  local ip=$1 prefix=$2 a b c d n mask
  IFS=. read -r a b c d <<<"$ip"
  n=$(( (a << 24) | (b << 16) | (c << 8) | d ))
  mask=$(( prefix == 0 ? 0 : (0xffffffff << (32 - prefix)) & 0xffffffff ))
  n=$(( n & mask ))
  printf '%d.%d.%d.%d' $(( (n >> 24) & 255 )) $(( (n >> 16) & 255 )) $(( (n >> 8) & 255 )) $(( n & 255 ))
}
SUBNET="$(network_of "$HB_SERVER_IP" "$HB_PREFIX")/$HB_PREFIX"
CONFIG="$HB_STATE_DIR/fleetboot.yaml"

# leaseTime 43200 s matches the peers (Kea valid-lifetime 43200, dnsmasq 12h). The store is SQLite in the
# state dir, so every measurement starts with an empty lease database, as the kit requires. TFTP is off: this
# is the DHCP bench, and its port must not be what the kit's readiness probe sees.
cat > "$CONFIG" <<YAML
dataDir: $HB_STATE_DIR/data
store: sqlite
log:
  level: warn
http:
  listen: $HB_SERVER_IP:$HB_HTTP_PORT
tftp:
  enabled: false
dhcp:
  mode: full
  interfaces: [$HB_IFACE]
  subnets:
    - subnet: $SUBNET
      leaseTime: 43200
      pools:
        - start: $HB_POOL_START
          end: $HB_POOL_END
YAML

# fleetboot logs JSON lines to stderr; the kit wants logs in the state dir, not on stdout.
exec node "$MAIN" serve -c "$CONFIG" 2>>"$HB_STATE_DIR/fleetboot.log"
