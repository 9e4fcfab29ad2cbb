# Sourced by bench/run.sh and bench/tftp-burst.sh. snapshot_build REPO DEST copies the build in REPO into DEST,
# and the bench's server wrappers run that copy (BENCH_FLEETBOOT_ROOT=DEST), because dist/ is shared: anyone's
# `npm run build` during a run would otherwise change the server between two measurements. The copy keeps the
# layout dist/ expects (package.json, static/ and templates/ one level up, native/build/Release for the addons);
# DEST must lie inside REPO so that node_modules resolves from an ancestor directory, and must not exist yet.
snapshot_build() {
  local repo=$1 dest=$2
  [ ! -e "$dest" ] || { echo "snapshot_build: $dest exists already" >&2; return 1; }
  compgen -G "$repo/native/build/Release/*.node" >/dev/null || { echo "snapshot_build: no native addons in $repo/native/build/Release (npm run build)" >&2; return 1; }
  mkdir -p "$dest/native/build/Release"
  cp -a "$repo/dist" "$dest/dist"
  cp -a "$repo/package.json" "$dest/package.json"
  # Files dist/ reads beside itself: the dashboard's static files and the bundled templates.
  cp -a "$repo/static" "$dest/static"
  cp -a "$repo/templates" "$dest/templates"
  cp -a "$repo"/native/build/Release/*.node "$dest/native/build/Release/"
}

# source_identity TREE: the commit of the git work tree whose top level is TREE, and a hash of its uncommitted
# changes to src/ and native/ (the diff and the untracked files' contents) if there are any; "not a git work tree"
# for a directory that is not the top of one (a copy of a build inside this repository is not this repository).
source_identity() {
  local tree=$1 top
  top=$(git -C "$tree" rev-parse --show-toplevel 2>/dev/null) || { echo "not a git work tree"; return 0; }
  [ "$(realpath "$top")" = "$(realpath "$tree")" ] || { echo "not a git work tree"; return 0; }
  local id="commit $(git -C "$tree" rev-parse --short HEAD)"
  if [ -n "$(git -C "$tree" status --porcelain -- src native)" ]; then
    local changes
    changes=$( (cd "$tree" && git diff HEAD -- src native && git ls-files -z --others --exclude-standard -- src native | xargs -0r sha256sum) | sha256sum | cut -c1-12)
    id="$id plus uncommitted changes (sha256 of the diff and untracked files: $changes)"
  fi
  echo "$id"
}

# build_hash ROOT: a hash of what a server runs from ROOT, its dist/ and its native addons; names a build even
# when it is only a copy.
build_hash() {
  (cd "$1" && { find dist -type f -print0; find native/build/Release -maxdepth 1 -name '*.node' -print0; } | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
}
