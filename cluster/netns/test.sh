#!/usr/bin/env bash
# Rehearsal of a three-machine sweep with CURVE on, in network namespaces (real TCP).
# Checks: the sweep completes with every trial once; a worker with an unknown key and a
# plain (non-CURVE) client are rejected, logged with their address, and get no trial;
# killing one "host" (all its workers) mid-sweep loses no trial.
# Needs root and iproute2. Run from the repository root: cluster/netns/test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
SWEEP=${SWEEP:-$PWD/.build/release/sweep}
NETNS=$PWD/cluster/netns/netns.sh
export PREFIX=${PREFIX:-swt} SUBNET=${SUBNET:-10.78.0}
work=$(mktemp -d)
fail() { echo "FAIL: $*" >&2; echo "--- coordinator log:" >&2; cat "$work/coordinator.log" >&2 || true; exit 1; }
cleanup() { "$NETNS" down >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

"$NETNS" up 3
C=$("$NETNS" address 1)
PORT=5555
"$SWEEP" keygen --out "$work/keys" --workers 4 >/dev/null
"$SWEEP" keygen --out "$work/strangers" >/dev/null
cp "$work/keys/coordinator.pub" "$work/strangers/coordinator.pub"
cat > "$work/sweep.yaml" <<YAML
study: rehearsal
synthetic:
  function: branin
  epochs: 4
  sleep: 0.25
  inputs:
    x1: {uniform: [-5, 10]}
    x2: {uniform: [0, 15]}
sampler: {name: tpe, n_startup_trials: 6}
pruner: {name: none}
budget: {trials: 24}
retry: {max_attempts: 3}
YAML

"$NETNS" exec 1 "$SWEEP" coordinator "$work/sweep.yaml" --db "$work/sweep.db" --bind "tcp://$C:$PORT" \
    --keys "$work/keys" --heartbeat-ms 250 --liveness 4 --no-progress > "$work/coordinator.log" 2>&1 &
coordinator=$!
# Intruders: a plain client from host 3, an unknown key from host 2. Both must get nothing
# (they try before any worker joins, so the sweep cannot have ended).
"$NETNS" exec 3 "$SWEEP" worker --connect "tcp://$C:$PORT" --id plain --give-up-after 3 > "$work/plain.log" 2>&1 && fail "the plain client was served"
"$NETNS" exec 2 "$SWEEP" worker --connect "tcp://$C:$PORT" --keys "$work/strangers" --id stranger --give-up-after 3 > "$work/stranger.log" 2>&1 && fail "the unknown key was served"
grep -q "0 trial(s) done" "$work/plain.log" || fail "plain client: $(cat "$work/plain.log")"
# A plain client's connection closes at once; when it is gone before the coordinator reads
# the accept event, its address cannot be read any more ("an unknown address"). Try again.
for _ in 1 2 3; do
  grep -q "rejected a connection from $("$NETNS" address 3)" "$work/coordinator.log" && break
  "$NETNS" exec 3 "$SWEEP" worker --connect "tcp://$C:$PORT" --id plain --give-up-after 2 > "$work/plain.log" 2>&1 && fail "the plain client was served"
done
grep -q "0 trial(s) done" "$work/stranger.log" || fail "stranger: $(cat "$work/stranger.log")"

for k in 1 2 3 4; do
  h=$(( k <= 2 ? 2 : 3 ))
  "$NETNS" exec $h "$SWEEP" worker --connect "tcp://$C:$PORT" --keys "$work/keys" --key-name "worker-$k" \
      --id "h$h-w$k" --host "$PREFIX-h$h" --give-up-after 60 > "$work/worker-$k.log" 2>&1 &
  disown $!  # host 3's are killed on purpose: no "Killed" job notices from bash
done

# Kill host 3 (both its workers) while they run trials.
for _ in $(seq 1 300); do
  running=$(sqlite3 "$work/sweep.db" "SELECT count(*) FROM trials WHERE state='RUNNING' AND worker LIKE 'h3-%' AND epochs >= 1" 2>/dev/null || echo 0)
  [ "${running:-0}" -ge 1 ] && break
  sleep 0.1
done
[ "${running:-0}" -ge 1 ] || fail "no trial ran on host 3"
"$NETNS" kill 3

for _ in $(seq 1 1200); do kill -0 $coordinator 2>/dev/null || break; sleep 0.1; done
kill -0 $coordinator 2>/dev/null && fail "the sweep did not finish"
wait $coordinator || fail "the coordinator exited with an error"

q() { sqlite3 "$work/sweep.db" "$1"; }
[ "$(q "SELECT count(*) FROM trials")" = 24 ] || fail "expected 24 trials, got $(q "SELECT count(*) FROM trials")"
[ "$(q "SELECT count(*) FROM trials WHERE state='COMPLETE'")" = 24 ] || fail "not every trial completed: $(q "SELECT state, count(*) FROM trials GROUP BY state")"
[ "$(q "SELECT count(*) FROM (SELECT trial_id FROM trial_attempts WHERE outcome='COMPLETE' GROUP BY trial_id HAVING count(*) > 1)")" = 0 ] || fail "a trial completed twice"
[ "$(q "SELECT count(*) FROM trial_attempts WHERE outcome='STALE' AND worker LIKE 'h3-%'")" -ge 1 ] || fail "no trial of host 3 was re-queued"
[ "$(q "SELECT count(*) FROM trial_attempts WHERE worker IN ('plain', 'stranger')")" = 0 ] || fail "an intruder got a trial"
[ "$(q "SELECT count(DISTINCT host) FROM workers")" = 2 ] || fail "expected workers on 2 hosts: $(q "SELECT worker, host FROM workers")"
[ "$(q "PRAGMA integrity_check")" = ok ] || fail "integrity check"
grep -q "rejected a connection from $("$NETNS" address 3)" "$work/coordinator.log" || fail "the plain client's rejection was not logged with its address"
grep -q "rejected a CURVE connection from $("$NETNS" address 2)" "$work/coordinator.log" || fail "the unknown key's rejection was not logged with its address"
echo "netns rehearsal: ok (24 trials over 2 worker hosts, host 3 killed, $(q "SELECT count(*) FROM trial_attempts WHERE outcome='STALE'") trial(s) re-run, intruders rejected)"
