#!/usr/bin/env bash
# Checks the systemd unit with `systemd-analyze verify` (no running systemd needed), and
# that the worker it starts behaves as the unit expects: with --forever it stays after a
# study ends and joins the next one, and SIGTERM stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SWEEP=${SWEEP:-$ROOT/.build/release/sweep}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

if command -v systemd-analyze >/dev/null; then
  # Verify a copy whose paths exist here.
  sed -e "s|/usr/local/bin/sweep|$SWEEP|" -e "s|/etc/sweep/worker.env|$work/worker.env|" \
      -e "s|^User=sweep|User=root|" -e "s|^Group=sweep|Group=root|" cluster/systemd/sweep-worker@.service > "$work/sweep-worker@.service"
  cp cluster/systemd/worker.env.example "$work/worker.env"
  out=$(systemd-analyze verify "$work/sweep-worker@.service" 2>&1) || fail "systemd-analyze verify: $out"
  echo "$out" | grep -qi "unknown" && fail "systemd-analyze verify: $out"
else
  fail "systemd-analyze not found (make cluster-deps installs systemd): the unit cannot be verified"
fi

# The behaviour the unit relies on: --forever survives the end of a study.
port=$((20000 + RANDOM % 20000))
for s in first second; do
  printf 'study: %s\nsynthetic:\n  function: sphere\n  inputs: {x: {uniform: [-1, 1]}}\nsampler: {name: random}\npruner: {name: none}\nbudget: {trials: 3}\n' "$s" > "$work/$s.yaml"
done
"$SWEEP" worker --connect "tcp://127.0.0.1:$port" --id forever-1 --forever --heartbeat-ms 200 > "$work/worker.log" 2>&1 &
worker=$!
"$SWEEP" coordinator "$work/first.yaml" --db "$work/s.db" --bind "tcp://127.0.0.1:$port" --no-progress > "$work/c1.log" 2>&1 || fail "first study failed"
kill -0 $worker || fail "the --forever worker left after the first study"
timeout 120 "$SWEEP" coordinator "$work/second.yaml" --db "$work/s.db" --bind "tcp://127.0.0.1:$port" --no-progress > "$work/c2.log" 2>&1 || fail "second study failed: $(cat "$work/c2.log")"
[ "$(sqlite3 "$work/s.db" "SELECT count(*) FROM trials t JOIN studies s ON s.id = t.study_id WHERE t.state = 'COMPLETE' AND t.worker = 'forever-1'")" = 6 ] || fail "the worker did not serve both studies"
kill -TERM $worker
for _ in $(seq 1 100); do kill -0 $worker 2>/dev/null || break; sleep 0.1; done
kill -0 $worker 2>/dev/null && fail "SIGTERM did not stop the worker"
wait $worker || fail "the worker exited with an error after SIGTERM"
echo "systemd: ok (unit verified; --forever worker served two studies and stopped on SIGTERM)"
