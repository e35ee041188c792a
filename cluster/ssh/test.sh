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
echo "ssh launcher: ok (30 trials by 3 workers on 2 hosts over ssh, the sweep binary and keys copied and removed)"
