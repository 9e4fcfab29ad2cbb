# Sourced by bench/run.sh and bench/tftp-burst.sh. snapshot_build REPO DEST copies the build in REPO into DEST,
# and the bench's server wrappers run that copy (BENCH_FLEETBOOT_ROOT=DEST), because dist/ is shared: anyone's
# `npm run build` during a run would otherwise change the server between two measurements. The copy keeps the
# layout dist/ expects (package.json, static/ and templates/ one level up, native/build/Release for the addons);
# DEST must lie inside REPO so that node_modules resolves from an ancestor directory.
snapshot_build() {
  local repo=$1 dest=$2
  mkdir -p "$dest/native/build/Release"
  cp -a "$repo/dist" "$dest/dist"
  cp -a "$repo/package.json" "$dest/package.json"
  # Files dist/ reads beside itself: the dashboard's static files and the bundled templates.
  cp -a "$repo/static" "$dest/static"
  cp -a "$repo/templates" "$dest/templates"
  cp -a "$repo"/native/build/Release/*.node "$dest/native/build/Release/"
}

# build_identity ROOT: one line naming a fleetboot build: its commit and uncommitted changes to src/ and native/
# when ROOT is a git work tree, and always a hash of its dist/ (which also names a build that is only a copy).
build_identity() {
  local root=$1 id="" diff
  if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    id="commit $(git -C "$root" rev-parse --short HEAD)"
    diff=$(git -C "$root" diff HEAD -- src native 2>/dev/null | sha256sum | cut -c1-12)
    [ -z "$(git -C "$root" status --porcelain -- src native)" ] || id="$id plus uncommitted changes (diff sha256 $diff)"
  else
    id="not a git work tree"
  fi
  echo "$id; dist/ sha256 $(cd "$root/dist" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
}
