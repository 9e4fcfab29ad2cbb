#!/usr/bin/env bash
# Brings up the PostgreSQL server the store conformance suite runs against (test/store/postgres.test.ts), and
# leaves it as the tests expect: listening on 127.0.0.1 only, role `fleetboot` (password `fleetboot`) owning the
# database `fleetboot_test`. Idempotent: run it as often as you like; CI runs it before the tests.
#
# It works with the Debian postgresql-common tools (pg_lsclusters, pg_ctlcluster, pg_createcluster), detects the cluster
# instead of assuming "15 main", and creates one when the package was installed without a cluster.
#
# Environment (all optional):
#   FLEETBOOT_PG_CLUSTER   "VERSION/NAME" of the cluster to use (default: the newest cluster pg_lsclusters lists)
#   FLEETBOOT_PG_ROLE      role to create (default fleetboot)
#   FLEETBOOT_PG_PASSWORD  its password (default fleetboot)
#   FLEETBOOT_PG_DATABASE  database to create (default fleetboot_test)
set -euo pipefail

ROLE="${FLEETBOOT_PG_ROLE:-fleetboot}"
PASSWORD="${FLEETBOOT_PG_PASSWORD:-fleetboot}"
DATABASE="${FLEETBOOT_PG_DATABASE:-fleetboot_test}"
READY_TIMEOUT_S=60

die() {
  echo "postgres.sh: $*" >&2
  exit 1
}

[[ $(id -u) -eq 0 ]] || die "run as root (it starts the cluster and administers it as the postgres user)"
command -v pg_lsclusters >/dev/null || die "PostgreSQL is not installed: apt-get install -y postgresql"

# Role and database names are interpolated into SQL below; allow only plain identifiers so that is safe.
for name in "$ROLE" "$DATABASE"; do
  [[ $name =~ ^[a-z_][a-z0-9_]*$ ]] || die "not a plain SQL identifier: $name"
done
[[ $PASSWORD != *"'"* ]] || die "the password must not contain a single quote"

pick_cluster() {
  if [[ -n ${FLEETBOOT_PG_CLUSTER:-} ]]; then
    echo "${FLEETBOOT_PG_CLUSTER/\// }"
    return
  fi
  # "VERSION NAME" of the newest cluster; sort -V orders 9.6 before 15.
  pg_lsclusters --no-header | awk '{ print $1, $2 }' | sort -V | tail -n 1
}

read -r VERSION CLUSTER < <(pick_cluster) || true
if [[ -z ${VERSION:-} ]]; then
  # The server package is installed but its cluster was never created (or was dropped): make one.
  VERSION=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)
  [[ -n $VERSION ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql: apt-get install -y postgresql"
  CLUSTER=main
  echo "postgres.sh: creating cluster $VERSION/$CLUSTER"
  pg_createcluster "$VERSION" "$CLUSTER"
fi

cluster_field() { # cluster_field N → column N of this cluster's pg_lsclusters line (3 port, 4 status)
  pg_lsclusters --no-header | awk -v v="$VERSION" -v c="$CLUSTER" -v f="$1" '$1 == v && $2 == c { print $f }'
}
PORT=$(cluster_field 3)
[[ -n $PORT ]] || die "cluster $VERSION/$CLUSTER not found by pg_lsclusters"

# Tests connect over TCP to 127.0.0.1; nothing needs the server on any other address. A conf.d drop-in (rather
# than editing postgresql.conf) keeps the change visible and easy to remove.
CONF_DIR="/etc/postgresql/$VERSION/$CLUSTER"
grep -Eq "^[[:space:]]*include_dir[[:space:]]*=[[:space:]]*'conf\.d'" "$CONF_DIR/postgresql.conf" ||
  die "$CONF_DIR/postgresql.conf has no include_dir = 'conf.d'; set listen_addresses = '127.0.0.1' there by hand"
DROP_IN="$CONF_DIR/conf.d/50-fleetboot-ci.conf"
WANTED="# Written by fleetboot scripts/ci/postgres.sh: the test server listens on loopback only.
listen_addresses = '127.0.0.1'"
restart_needed=no
if [[ ! -f $DROP_IN || $(<"$DROP_IN") != "$WANTED" ]]; then
  mkdir -p "$CONF_DIR/conf.d"
  printf '%s\n' "$WANTED" >"$DROP_IN"
  chmod 0644 "$DROP_IN"
  restart_needed=yes
fi

status=$(cluster_field 4)
if [[ $status == online* ]]; then
  if [[ $restart_needed == yes ]]; then
    echo "postgres.sh: restarting $VERSION/$CLUSTER to apply listen_addresses"
    pg_ctlcluster "$VERSION" "$CLUSTER" restart
  fi
else
  echo "postgres.sh: starting $VERSION/$CLUSTER on port $PORT"
  pg_ctlcluster "$VERSION" "$CLUSTER" start
fi

for ((i = 0; i < READY_TIMEOUT_S * 2; i++)); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$PORT" ||
  die "cluster $VERSION/$CLUSTER did not accept connections within ${READY_TIMEOUT_S}s; see /var/log/postgresql/postgresql-$VERSION-$CLUSTER.log"

psql_admin() {
  runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"
}

if [[ $(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'") != 1 ]]; then
  psql_admin -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'"
else
  # Reset the password too, so a role left over from another setup still matches the tests' default URL.
  psql_admin -c "ALTER ROLE $ROLE LOGIN PASSWORD '$PASSWORD'"
fi

if [[ $(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'") != 1 ]]; then
  psql_admin -c "CREATE DATABASE $DATABASE OWNER $ROLE"
else
  psql_admin -c "ALTER DATABASE $DATABASE OWNER TO $ROLE"
fi

url="postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
PGPASSWORD="$PASSWORD" psql -X -q -v ON_ERROR_STOP=1 "$url" -tAc 'SELECT 1' >/dev/null ||
  die "the server is up but $ROLE cannot log in to $DATABASE over 127.0.0.1"

echo "postgres.sh: ready: cluster $VERSION/$CLUSTER, FLEETBOOT_TEST_POSTGRES_URL=$url"
