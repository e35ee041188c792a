#!/usr/bin/env bash
# Checks the install story of the README on this machine (needs root, for the mount
# namespace; `make test-install` runs it):
#   1. `make` without a `swift` on PATH stops and says where to get Swift;
#   2. `make dist` gives a tarball whose bin/sweep runs with the toolchain hidden (an empty
#      tmpfs over its directory in a private mount namespace): --version and a sweep;
#   3. `make install PREFIX=...` installs the binary, the man page and the completions.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. No swift on PATH.
if env PATH=/usr/sbin:/usr/bin:/sbin:/bin make -C "$ROOT" --no-print-directory build > "$work/noswift.log" 2>&1; then
  fail "make succeeded without swift"
fi
grep -q "Debian does not package it" "$work/noswift.log" && grep -q "https://www.swift.org/install" "$work/noswift.log" \
  || fail "make without swift did not say where to get it: $(cat "$work/noswift.log")"

# 2. The dist tarball, with the toolchain hidden.
make -C "$ROOT" --no-print-directory dist > "$work/dist.log" 2>&1 || { cat "$work/dist.log" >&2; fail "make dist failed"; }
tarball=$(ls "$ROOT"/dist/sweep-*-linux-*.tar.gz)
tar -C "$work" -xzf "$tarball"
bin=$(echo "$work"/sweep-*/bin/sweep)
[ -x "$bin" ] || fail "no bin/sweep in $tarball"
toolchain=$(dirname "$(dirname "$(dirname "$(command -v swift)")")")
[ -d "$toolchain" ] || fail "cannot find the toolchain directory of $(command -v swift)"
if ldd "$bin" | grep -q "$toolchain"; then fail "bin/sweep links against the toolchain: $(ldd "$bin" | grep "$toolchain")"; fi
cat > "$work/tiny.yaml" <<YAML
study: tiny
synthetic:
  function: sphere
  epochs: 2
  inputs: {x: {uniform: [-1, 1]}, y: {uniform: [-1, 1]}}
budget: {trials: 6}
YAML
unshare -m bash -c "
  set -e
  mount -t tmpfs none '$toolchain'
  [ -z \"\$(ls -A '$toolchain')\" ]
  ! command -v swift
  '$bin' --version
  '$bin' run '$work/tiny.yaml' --workers 2 --db '$work/tiny.db' --no-progress
  '$bin' trials tiny --db '$work/tiny.db' --format csv
" > "$work/hidden.log" 2>&1 || { cat "$work/hidden.log" >&2; fail "bin/sweep does not run with $toolchain hidden"; }
grep -q "study 'tiny' finished" "$work/hidden.log" || fail "the sweep did not finish: $(cat "$work/hidden.log")"
[ "$(grep -c ',COMPLETE,\|,PRUNED,' "$work/hidden.log")" = 6 ] || fail "expected 6 finished trials: $(cat "$work/hidden.log")"

# 3. make install.
prefix=$work/prefix
make -C "$ROOT" --no-print-directory install PREFIX="$prefix" > "$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "make install failed"; }
for f in bin/sweep share/man/man1/sweep.1 share/bash-completion/completions/sweep share/zsh/site-functions/_sweep \
         share/fish/vendor_completions.d/sweep.fish; do
  [ -s "$prefix/$f" ] || fail "make install did not install $f"
done
"$prefix/bin/sweep" --version > /dev/null || fail "the installed sweep does not run"
grep -q "delete" "$prefix/share/bash-completion/completions/sweep" || fail "the bash completion lacks the delete command"
MANWIDTH=80 man -l "$prefix/share/man/man1/sweep.1" 2>/dev/null | grep -q "hyperparameter sweeps" || fail "the man page does not render"
echo "install: ok (make stops without swift; $(basename "$tarball") runs with the toolchain hidden; make install puts binary, man page and completions in place)"
