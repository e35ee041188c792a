#!/usr/bin/env bash
# Runs cluster/slurm/sweep.sbatch for real on a single-node Slurm cluster started here:
# the batch job's coordinator and `srun` workers finish a sweep and its trials are in the
# database. Needs root and Debian's slurm-wlm and munge. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SWEEP=${SWEEP:-$PWD/.build/release/sweep}
work=$(mktemp -d)
chmod 755 "$work"
export SLURM_CONF="$work/slurm/slurm.conf"
cleanup() {
  scancel --user=root >/dev/null 2>&1 || true
  cluster/slurm/local-cluster.sh stop "$work/slurm" >/dev/null 2>&1 || true
  rm -rf "$work" || echo "warning: could not remove $work" >&2
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$work"/sweep-*.out >&2 2>/dev/null || true; tail -n 20 "$work/slurm/log/"*.log >&2 || true; exit 1; }

cluster/slurm/local-cluster.sh start "$work/slurm"
cat > "$work/sweep.yaml" <<YAML
study: slurm
synthetic:
  function: rosenbrock
  epochs: 3
  sleep: 0.05
  inputs:
    x: {uniform: [-2, 2]}
    y: {uniform: [-1, 3]}
sampler: {name: tpe, n_startup_trials: 5}
pruner: {name: median, n_startup_trials: 3}
budget: {trials: 20}
YAML
ntasks=$(nproc)
job=$(cd "$work" && SWEEP="$SWEEP" SWEEP_DB="$work/slurm.db" SWEEP_PORT=5571 \
      sbatch --parsable --nodes=1 --ntasks="$ntasks" "$ROOT/cluster/slurm/sweep.sbatch" "$work/sweep.yaml") || fail "sbatch refused the job"
echo "submitted job $job ($ntasks task(s))"
for _ in $(seq 1 600); do
  state=$(squeue -h -j "$job" -o "%T" 2>/dev/null || true)
  [ -z "$state" ] && break
  sleep 0.2
done
[ -z "$state" ] || fail "job $job still $state"
q() { sqlite3 "$work/slurm.db" "$1"; }
[ -f "$work/slurm.db" ] || fail "no database"
[ "$(q "SELECT count(*) FROM trials")" = 20 ] || fail "expected 20 trials: $(q "SELECT state, count(*) FROM trials GROUP BY state")"
[ "$(q "SELECT count(*) FROM trials WHERE state IN ('COMPLETE','PRUNED')")" = 20 ] || fail "unfinished trials: $(q "SELECT state, count(*) FROM trials GROUP BY state")"
[ "$(q "SELECT state FROM studies")" = FINISHED ] || fail "study not finished"
workers=$(q "SELECT count(*) FROM workers")
[ "$workers" = "$ntasks" ] || fail "expected $ntasks srun workers, saw $workers"
echo "slurm: ok (job $job: 20 trials by $workers srun worker(s); $(q "SELECT count(*) FROM trials WHERE state='PRUNED'") pruned)"
