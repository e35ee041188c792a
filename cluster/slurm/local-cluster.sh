#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, from Debian's packages (slurm-wlm, munge),
# for testing the batch scripts for real. Needs root.
#
#   cluster/slurm/local-cluster.sh start DIR    # config, state and logs under DIR
#   cluster/slurm/local-cluster.sh stop DIR
set -euo pipefail
action=${1:?usage: start|stop DIR}
DIR=${2:?usage: start|stop DIR}
mkdir -p "$DIR"/{state,spool,log}
NODE=$(hostname -s)
CPUS=$(nproc)
MEM=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))

start() {
  # munge authenticates slurm's daemons to each other.
  if [ ! -f /etc/munge/munge.key ]; then mungekey --create --keyfile /etc/munge/munge.key; fi
  chown munge:munge /etc/munge/munge.key 2>/dev/null || true
  chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null || true
  pgrep -x munged >/dev/null || su -s /bin/sh munge -c "munged" || munged --force
  cat > "$DIR/slurm.conf" <<CONF
ClusterName=sweeptest
SlurmctldHost=$NODE
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
NodeName=$NODE CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$DIR/slurm.conf"
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  for _ in $(seq 1 100); do
    sinfo -h -o "%T" 2>/dev/null | grep -qE "idle|mixed|alloc" && { echo "slurm: node $NODE up ($CPUS CPUs)"; return 0; }
    sleep 0.2
  done
  echo "slurm did not come up; logs in $DIR/log" >&2
  exit 1
}

stop() {
  local pids=""
  for f in slurmd slurmctld; do
    if [ -f "$DIR/$f.pid" ]; then
      pid=$(cat "$DIR/$f.pid")
      kill "$pid" 2>/dev/null && pids="$pids $pid"
    fi
  done
  pkill -x slurmstepd 2>/dev/null || true
  # slurmctld saves its state on the way out: wait for it, so DIR can be removed after.
  for _ in $(seq 100); do
    alive=""
    for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive="$alive $pid"; done
    [ -z "$alive" ] && return 0
    sleep 0.1
  done
  for pid in $alive; do kill -9 "$pid" 2>/dev/null || true; done
}

case "$action" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
