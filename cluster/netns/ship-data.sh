#!/usr/bin/env bash
# Rehearsal of a shipped data set (#13 item 5): the coordinator on host 1 has a 2.6 MB CSV;
# a worker on host 2, in its own mount namespace where the coordinator's directory is an
# empty tmpfs (no shared files), gets it from the coordinator over CURVE/TCP in chunks,
# caches it by content (once) and trains every trial on it.
# Needs root, iproute2 and util-linux (unshare). Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."
SWEEP=${SWEEP:-$PWD/.build/release/sweep}
NETNS=$PWD/cluster/netns/netns.sh
export PREFIX=${PREFIX:-sws} SUBNET=${SUBNET:-10.79.0}
work=$(mktemp -d)
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f:" >&2; cat "$f" >&2; done; exit 1; }
cleanup() { "$NETNS" down >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

"$NETNS" up 2 >/dev/null
C=$("$NETNS" address 1)
PORT=5556
mkdir -p "$work/coordinator" "$work/worker"
"$SWEEP" keygen --out "$work/worker/keys" --workers 1 >/dev/null
cp -r "$work/worker/keys" "$work/coordinator/keys"
# 40,000 rows of 8 features and a label: about 2.6 MB, three chunks.
awk 'BEGIN { srand(7); print "f1,f2,f3,f4,f5,f6,f7,f8,label";
  for (i = 0; i < 40000; i++) { s = 0; line = "";
    for (j = 1; j <= 8; j++) { v = rand() * 2 - 1; s += v; line = line sprintf("%.6f,", v) }
    print line (s > 0 ? "up" : "down") } }' > "$work/coordinator/train.csv"
cat > "$work/coordinator/sweep.yaml" <<YAML
study: shipped
data: {dataset: csv, train_file: $work/coordinator/train.csv, label: label, validation: 0.1, test: 0.1}
model: {hidden: [{int: [4, 16]}]}
training: {epochs: 2, batch_size: 256}
budget: {trials: 3}
retry: {max_attempts: 1}
YAML

(cd "$work/coordinator" && "$NETNS" exec 1 "$SWEEP" coordinator sweep.yaml --db sweep.db --bind "tcp://$C:$PORT" \
    --keys keys --no-progress > "$work/coordinator.log" 2>&1) &
coordinator=$!
# The worker's machine: the coordinator's directory is hidden under an empty tmpfs.
"$NETNS" exec 2 unshare --mount --propagation private sh -c '
  mount -t tmpfs none "$1/coordinator" || exit 3
  [ ! -e "$1/coordinator/train.csv" ] || { echo "the data is visible to the worker" >&2; exit 3; }
  cd "$1/worker" && exec "$2" worker --connect "tcp://$3:$4" --keys keys --key-name worker --data-cache cache --give-up-after 60
' sh "$work" "$SWEEP" "$C" "$PORT" > "$work/worker.log" 2>&1 || fail "the worker failed (exit $?)"

for _ in $(seq 1 600); do kill -0 $coordinator 2>/dev/null || break; sleep 0.1; done
kill -0 $coordinator 2>/dev/null && fail "the sweep did not finish"
wait $coordinator || fail "the coordinator exited with an error"

q() { sqlite3 "$work/coordinator/sweep.db" "$1"; }
[ "$(q "SELECT count(*) FROM trials WHERE state='COMPLETE'")" = 3 ] || fail "not every trial completed: $(q "SELECT state, error FROM trials")"
sha=$(sha256sum "$work/coordinator/train.csv" | cut -d' ' -f1)
cmp -s "$work/coordinator/train.csv" "$work/worker/cache/$sha" || fail "the worker's cache has no copy named $sha"
[ "$(grep -c "received $work/coordinator/train.csv" "$work/worker.log")" = 1 ] || fail "the data set was not shipped exactly once"
echo "netns data shipping: ok ($(stat -c %s "$work/coordinator/train.csv") bytes shipped once over CURVE to a worker without the files, 3 trials trained on it)"
