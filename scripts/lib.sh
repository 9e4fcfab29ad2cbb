# Shared by the setup scripts. Sourced, not run.

say() { printf '[fleetboot setup] %s\n' "$*"; }
die() { printf '[fleetboot setup] error: %s\n' "$*" >&2; exit 1; }

# apt_install PKG...: installs the Debian packages that are not installed yet (idempotent, non-interactive).
apt_install() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "Debian packages missing (${missing[*]}); run this script as root to install them."
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer for it (no), so the install never waits for a tty.
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# require_node: fleetboot runs on Node.js 20.19+ (or 22+); say so plainly instead of failing later in npm.
require_node() {
  command -v node >/dev/null || die "Node.js 20 (20.19 or later) is needed: https://nodejs.org or your distribution's packages."
  local major minor
  major=$(node -p 'process.versions.node.split(".")[0]')
  minor=$(node -p 'process.versions.node.split(".")[1]')
  if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 19 ]; }; then
    die "Node.js $(node --version) is too old: fleetboot needs 20.19 or later."
  fi
}
