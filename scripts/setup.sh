#!/usr/bin/env bash
# Sets up what running fleetboot needs on Debian 12: a C++ toolchain for the embedded SQLite driver, and the
# npm dependencies. Idempotent. Run as root the first time (it installs Debian packages), from the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

require_node
# better-sqlite3 compiles against Node's headers when no prebuilt binary can be fetched.
apt_install python3 make g++
# The package cache reads .xz, .bz2 and .zst indexes (Packages, rpm primary) with Debian's tools: Node 20's zlib
# does gzip only. Without one, an index in that format vouches for nothing and its packages pass through unkept.
apt_install xz-utils bzip2 zstd
say "installing npm dependencies (npm ci)"
npm ci --no-audit --no-fund --loglevel=error
say "building"
npm run --silent build
say "ready: 'npm start' (or 'node dist/cli/main.js serve') starts fleetboot on its defaults"
