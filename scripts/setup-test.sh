#!/usr/bin/env bash
# Sets up everything the test suite needs on Debian 12, then returns: the npm dependencies, the real peers the
# interop tests run inside network namespaces (DHCP and TFTP clients, capture tools, QEMU with SeaBIOS/iPXE and
# OVMF firmware, Debian's pxelinux and iPXE loaders, GRUB's grub-script-check, Debian 12's netboot installer tree
# and xorriso for the OS image catalog, busybox to run the installer's own preseed parser, the Debian and rpm tools
# the package-cache tests build signed repositories with and the apt and dnf clients they install with), a
# PostgreSQL server for the store conformance suite, and Debian's chromium for the dashboard's browser test (driven
# by playwright-core through its executable path: no browser download). Idempotent; run as root (namespaces and
# packages need it).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

[ "$(id -u)" -eq 0 ] || die "run as root: the tests create network namespaces and the script installs Debian packages."
scripts/setup.sh
apt_install \
  iproute2 nftables \
  isc-dhcp-client isc-dhcp-relay udhcpc dnsmasq-base \
  tftp-hpa atftp \
  tcpdump tshark \
  qemu-system-x86 ipxe-qemu ovmf ipxe pxelinux syslinux-common grub-common \
  debian-installer-12-netboot-amd64 xorriso busybox \
  gnupg dpkg-dev apt xz-utils bzip2 zstd \
  rpm createrepo-c dnf \
  postgresql \
  chromium
scripts/ci/postgres.sh
say "ready: 'npm test' runs the suite"
