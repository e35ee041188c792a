#!/usr/bin/env bash
# Runs cluster/ssh/launch.sh for real: sshd on two network-namespace "hosts", the launcher
# (and its coordinator) on a third; real ssh, scp and TCP between them. Needs root,
# iproute2 and openssh-server/openssh-client. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SWEEP=${SWEEP:-$ROOT/.build/release/sweep}
NETNS=$ROOT/cluster/netns/netns.sh
export PREFIX=swssh SUBNET=10.79.0
work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
  for f in "$work"/sshd-*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  "$NETNS" down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$work/launch.log" >&2 2>/dev/null || true; exit 1; }

"$NETNS" up 3
ssh-keygen -q -t ed25519 -N "" -f "$work/host_key"
ssh-keygen -q -t ed25519 -N "" -f "$work/client_key"
mkdir -p "$work/ssh" && cp "$work/client_key.pub" "$work/ssh/authorized_keys"
for h in 2 3; do
  addr=$("$NETNS" address $h)
  cat > "$work/sshd-$h.conf" <<CONF
ListenAddress $addr
Port 2222
HostKey $work/host_key
AuthorizedKeysFile $work/ssh/authorized_keys
PidFile $work/sshd-$h.pid
PermitRootLogin yes
PasswordAuthentication no
StrictModes no
UsePAM no
Subsystem sftp /usr/lib/openssh/sftp-server
CONF
  mkdir -p /run/sshd
  "$NETNS" exec $h /usr/sbin/sshd -f "$work/sshd-$h.conf" -E "$work/sshd-$h.log"
done
printf '%s 2\n%s 1 root\n' "$("$NETNS" address 2)" "$("$NETNS" address 3)" > "$work/hosts"
cat > "$work/sweep.yaml" <<YAML
study: ssh
synthetic:
  function: sphere
  epochs: 2
  sleep: 0.3
  inputs: {x: {uniform: [-1, 1]}}
sampler: {name: random}
pruner: {name: none}
budget: {trials: 30}
YAML
opts="-o Port=2222 -i $work/client_key -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes"
"$NETNS" exec 1 env SSH=ssh SCP=scp SSH_OPTS="$opts" SWEEP="$SWEEP" \
  "$ROOT/cluster/ssh/launch.sh" "$work/sweep.yaml" "$work/hosts" --bind "tcp://$("$NETNS" address 1):5580" \
    --db "$work/ssh.db" --remote-dir "$work/remote" > "$work/launch.log" 2>&1 || fail "launch.sh failed"
q() { sqlite3 "$work/ssh.db" "$1"; }
[ "$(q "SELECT count(*) FROM trials WHERE state='COMPLETE'")" = 30 ] || fail "expected 30 complete trials: $(q "SELECT state, count(*) FROM trials GROUP BY state")"
[ "$(q "SELECT count(*) FROM workers")" = 3 ] || fail "expected 3 workers: $(q "SELECT worker, host FROM workers")"
[ "$(q "SELECT count(DISTINCT w.host) FROM trial_attempts a JOIN workers w ON w.worker = a.worker")" = 2 ] || fail "expected trials run on 2 hosts"
[ -z "$(ls -A "$work/remote" 2>/dev/null)" ] || fail "remote key directories were left behind: $(ls "$work/remote")"
# The hosts ran the binary the launcher copied to them, not one found on their PATH.
[ "$(grep -c "(copied from $SWEEP)" "$work/launch.log")" = 2 ] || fail "the sweep binary was not copied to both hosts"

launch() { "$NETNS" exec 1 env SSH=ssh SCP=scp SSH_OPTS="$opts" SWEEP="$SWEEP" "$ROOT/cluster/ssh/launch.sh" "$@"; }
# A launch that fails half-way (no sweep at --remote-sweep) removes what it copied: the
# keys stayed on the hosts it had reached.
if launch "$work/sweep.yaml" "$work/hosts" --bind "tcp://$("$NETNS" address 1):5581" --db "$work/failed.db" \
     --remote-dir "$work/remote" --remote-sweep /nonexistent/sweep > "$work/failed.log" 2>&1; then
  fail "a launch with a missing --remote-sweep succeeded"
fi
grep -q "does not run there" "$work/failed.log" || fail "the failed launch did not say why: $(cat "$work/failed.log")"
[ -z "$(ls -A "$work/remote" 2>/dev/null)" ] || fail "a failed launch left keys behind: $(find "$work/remote")"

# Stopped (SIGTERM) while its workers run: they hand their trials back before the coordinator
# stops, and no trial stays RUNNING (they did, the study "interrupted").
sed -e 's/^study: ssh$/study: stopped/' -e 's/sleep: 0.3/sleep: 0.5/' -e 's/epochs: 2/epochs: 6/' -e 's/trials: 30/trials: 200/' \
  "$work/sweep.yaml" > "$work/stopped.yaml"
# (Not through the function: $! would be a subshell's, not the launcher's.)
"$NETNS" exec 1 env SSH=ssh SCP=scp SSH_OPTS="$opts" SWEEP="$SWEEP" "$ROOT/cluster/ssh/launch.sh" "$work/stopped.yaml" "$work/hosts" \
  --bind "tcp://$("$NETNS" address 1):5582" --db "$work/stopped.db" --remote-dir "$work/remote" > "$work/stopped.log" 2>&1 &
launcher=$!
for _ in $(seq 1 600); do
  [ "$(grep -c ": started " "$work/stopped.log")" = 2 ] && [ -f "$work/stopped.db" ] \
    && [ "$(sqlite3 "$work/stopped.db" "SELECT count(*) FROM trials WHERE state='RUNNING'" 2>/dev/null || echo 0)" -ge 3 ] && break
  sleep 0.1
done
kill -TERM "$launcher"
wait "$launcher" || true
s() { sqlite3 "$work/stopped.db" "$1"; }
[ "$(s "SELECT count(*) FROM trials WHERE state='RUNNING'")" = 0 ] || fail "trials stayed RUNNING after the launcher was stopped: $(s "SELECT state, count(*) FROM trials GROUP BY state"); $(cat "$work/stopped.log")"
[ "$(s "SELECT count(*) FROM trial_attempts WHERE outcome='RETURNED'")" -ge 1 ] || fail "no trial was handed back: $(s "SELECT outcome, count(*) FROM trial_attempts GROUP BY outcome")"
[ -z "$(ls -A "$work/remote" 2>/dev/null)" ] || fail "a stopped launch left keys behind: $(find "$work/remote")"
echo "ssh launcher: ok (30 trials by 3 workers on 2 hosts over ssh, the sweep binary and keys copied and removed; a failed launch and a stopped one leave no keys, the stopped one no RUNNING trial)"
