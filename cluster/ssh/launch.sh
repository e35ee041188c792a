#!/usr/bin/env bash
# Runs a sweep over ssh: the coordinator here, N workers on each host of a hosts file.
#
#   cluster/ssh/launch.sh SWEEP_FILE HOSTS_FILE --bind tcp://THIS_HOST_ADDRESS:5555 [options]
#
# Options:
#   --bind ENDPOINT      where the coordinator listens: an IP address of this host (or *,
#                        an interface name); workers connect to it (required)
#   --connect ENDPOINT   where the workers connect, when --bind is not an address they can
#                        reach (e.g. --bind 'tcp://*:5555' --connect tcp://head.example:5555)
#   --allow-commands     let the workers run the study's own program (command sweeps);
#                        the program and its files must be on every host
#   --db PATH            the study database (default: sweep.db)
#   --keys DIR           CURVE keys from `sweep keygen` with worker-1..worker-N (default: new keys)
#   --remote-sweep PATH  run this sweep executable already installed on the hosts instead of
#                        copying ours (default: copy $SWEEP to each host)
#   --remote-dir DIR     where keys and logs go on the hosts (default: ~/.sweep)
#   --resume             continue the study if it already exists
# Environment: SWEEP (the sweep executable here, default: sweep on PATH), SSH and SCP
# (commands, default ssh/scp) and SSH_OPTS (extra options for both: a port as -o Port=N).
#
# The hosts need no Swift toolchain: the launcher copies its own sweep binary to each of
# them (use the one from `make dist`, whose Swift runtime is linked in; the hosts need only
# the Debian libraries libzmq5, libopenblas0, libsqlite3-0 and zlib1g) and checks that it
# runs there before starting workers. Each host gets the coordinator's public key and one worker key pair per worker in a
# private directory (REMOTE_DIR/RUN), which is removed at the end. Ctrl-C (or the end of the
# study) stops the workers cleanly: SIGTERM lets them finish their epoch and hand back
# their trial. The hosts file format is in cluster/ssh/hosts.example.
set -euo pipefail

usage() { sed -n '2,25p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
SWEEP_FILE=$1; HOSTS=$2; shift 2
BIND=""; CONNECT=""; ALLOW=""; DB=sweep.db; KEYS=""; REMOTE_SWEEP=""; REMOTE_DIR="~/.sweep"; RESUME=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bind) BIND=$2; shift 2 ;;
    --connect) CONNECT=$2; shift 2 ;;
    --allow-commands) ALLOW=--allow-commands; shift ;;
    --db) DB=$2; shift 2 ;;
    --keys) KEYS=$2; shift 2 ;;
    --remote-sweep) REMOTE_SWEEP=$2; shift 2 ;;
    --remote-dir) REMOTE_DIR=$2; shift 2 ;;
    --resume) RESUME=--resume; shift ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done
[ -n "$BIND" ] || { echo "--bind tcp://ADDRESS:PORT is required (an address the hosts can reach)" >&2; exit 2; }
CONNECT=${CONNECT:-$BIND}
case "$CONNECT" in
  *//\**|*//0.0.0.0:*|*//\[::\]:*)
    echo "--bind $BIND listens on every address; give the workers one they can reach: --connect tcp://THIS_HOST:PORT" >&2; exit 2 ;;
esac
[ -f "$SWEEP_FILE" ] || { echo "$SWEEP_FILE: no such file" >&2; exit 2; }
[ -f "$HOSTS" ] || { echo "$HOSTS: no such file" >&2; exit 2; }
SWEEP=${SWEEP:-sweep}
LOCAL_SWEEP=$(command -v "$SWEEP") || { echo "$SWEEP: no such executable (set SWEEP=/path/to/sweep)" >&2; exit 2; }
SSH=${SSH:-ssh}; SCP=${SCP:-scp}; SSH_OPTS=${SSH_OPTS:-}
RUN=run-$(date +%s)-$$

# Parse the hosts file, with line numbers for errors.
hosts=(); counts=(); users=()
n=0
while IFS= read -r line || [ -n "$line" ]; do
  n=$((n + 1))
  line=${line%%#*}
  read -r h c u extra <<<"$line" || true
  [ -z "${h:-}" ] && continue
  if [ -n "${extra:-}" ] || ! [[ "${c:-}" =~ ^[1-9][0-9]*$ ]]; then
    echo "$HOSTS:$n: expected 'HOST WORKERS [USER]' with WORKERS >= 1, got '$line'" >&2; exit 2
  fi
  hosts+=("$h"); counts+=("$c"); users+=("${u:-}")
done < "$HOSTS"
[ ${#hosts[@]} -gt 0 ] || { echo "$HOSTS: no hosts" >&2; exit 2; }
total=0; for c in "${counts[@]}"; do total=$((total + c)); done

work=$(mktemp -d)
if [ -z "$KEYS" ]; then
  KEYS=$work/keys
  "$SWEEP" keygen --out "$KEYS" --workers "$total" >/dev/null
  [ "$total" -eq 1 ] && mv "$KEYS/workers/worker.key" "$KEYS/workers/worker-1.key"
fi

target() { local i=$1; if [ -n "${users[$i]}" ]; then echo "${users[$i]}@${hosts[$i]}"; else echo "${hosts[$i]}"; fi; }

declare -A pids prepared
# On every host given a directory (also when the launch failed half-way: its keys were left
# there), all at once: the workers get SIGTERM (each finishes its epoch and hands its trial
# back, up to 30 s), then the directory with the keys and the binary is removed.
stop_workers() {
  local i stoppers=()
  for i in "${!hosts[@]}"; do
    [ -n "${prepared[$i]:-}" ] || continue
    # (By the pid files the workers left: a stop while they were being started knows no pids.)
    ( $SSH $SSH_OPTS "$(target "$i")" "p=\$(cat $REMOTE_DIR/$RUN/*.pid 2>/dev/null); kill -TERM \$p 2>/dev/null; n=0; for q in \$p; do while kill -0 \$q 2>/dev/null && [ \$n -lt 300 ]; do sleep 0.1; n=\$((n+1)); done; done; rm -rf $REMOTE_DIR/$RUN" \
        || echo "could not stop the workers on ${hosts[$i]} (or remove $REMOTE_DIR/$RUN there)" >&2 ) &
    stoppers+=($!)
  done
  [ ${#stoppers[@]} -eq 0 ] || wait "${stoppers[@]}"
}
cleanup() {
  trap - EXIT INT TERM
  # The workers first, while their coordinator runs to take the trials they hand back
  # (stopped after it, their trials stayed RUNNING and the study "interrupted").
  stop_workers
  [ -n "${COORDINATOR:-}" ] && kill -TERM "$COORDINATOR" 2>/dev/null && wait "$COORDINATOR" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "coordinator: $BIND, database $DB; ${#hosts[@]} host(s), $total worker(s)"
# In a session of its own: a Ctrl-C at the terminal reaches the launcher only, which stops
# the workers first (the coordinator got it too and left before they handed back).
setsid "$SWEEP" coordinator "$SWEEP_FILE" --db "$DB" --bind "$BIND" --keys "$KEYS" $RESUME &
COORDINATOR=$!
sleep 0.5
kill -0 "$COORDINATOR" 2>/dev/null || { wait "$COORDINATOR"; exit $?; }

# First every host gets its keys and a sweep that runs there; only then do workers start.
remote="$REMOTE_DIR/$RUN"
k=0
declare -A names
for i in "${!hosts[@]}"; do
  t=$(target "$i")
  prepared[$i]=1 # (removed at the end, whatever happens from here)
  $SSH $SSH_OPTS "$t" "mkdir -p $remote/workers && chmod 700 $REMOTE_DIR $remote" || { echo "ssh $t failed" >&2; exit 1; }
  files=()
  names[$i]=""
  for _ in $(seq 1 "${counts[$i]}"); do
    k=$((k + 1)); names[$i]+="worker-$k "; files+=("$KEYS/workers/worker-$k.key")
  done
  $SCP $SSH_OPTS -q "$KEYS/coordinator.pub" "$t:$remote/" && \
    $SCP $SSH_OPTS -q "${files[@]}" "$t:$remote/workers/" || { echo "copying keys to $t failed" >&2; exit 1; }
  exe=${REMOTE_SWEEP:-$remote/sweep}
  if [ -z "$REMOTE_SWEEP" ]; then
    $SCP $SSH_OPTS -q "$LOCAL_SWEEP" "$t:$exe" && $SSH $SSH_OPTS "$t" "chmod 755 $exe" \
      || { echo "copying $LOCAL_SWEEP to $t failed" >&2; exit 1; }
  fi
  if ! version=$($SSH $SSH_OPTS "$t" "$exe --version" 2>&1); then
    echo "${hosts[$i]}: $exe does not run there: $version" >&2
    echo "(copy the binary of \`make dist\`, which needs no Swift toolchain, or pass --remote-sweep PATH)" >&2
    exit 1
  fi
  echo "${hosts[$i]}: sweep $version at $exe$([ -z "$REMOTE_SWEEP" ] && echo " (copied from $LOCAL_SWEEP)")"
done

exe=${REMOTE_SWEEP:-$remote/sweep}
for i in "${!hosts[@]}"; do
  cmd=""
  for name in ${names[$i]}; do
    cmd+="OPENBLAS_NUM_THREADS=1 nohup $exe worker --connect $CONNECT $ALLOW --keys $remote --key-name $name --id ${hosts[$i]}-$name --host ${hosts[$i]} --give-up-after 600 > $remote/$name.log 2>&1 < /dev/null & echo \$! > $remote/$name.pid; echo -n \"\$! \"; "
  done
  pids[$i]=$($SSH $SSH_OPTS "$(target "$i")" "$cmd")
  echo "${hosts[$i]}: started ${counts[$i]} worker(s) (pids ${pids[$i]})"
done

wait "$COORDINATOR"
status=$?
COORDINATOR=""
exit $status
