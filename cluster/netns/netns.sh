#!/usr/bin/env bash
# A local rehearsal of several machines with Linux network namespaces: one namespace per
# "host", joined by veth pairs to a bridge that lives in its own hub namespace, so real
# TCP crosses between them. Needs root (or CAP_NET_ADMIN + CAP_SYS_ADMIN) and iproute2.
#
#   cluster/netns/netns.sh up 3          # hosts sw-h1 (10.77.0.1) ... sw-h3 (10.77.0.3)
#   cluster/netns/netns.sh exec 2 CMD... # run CMD on host 2
#   cluster/netns/netns.sh pids 3        # processes running on host 3
#   cluster/netns/netns.sh kill 3        # kill -9 everything on host 3 (a machine dying)
#   cluster/netns/netns.sh down          # remove all of it
#
# PREFIX (default "sw") and SUBNET (default 10.77.0) can be set in the environment to run
# several rehearsals side by side.
set -euo pipefail

PREFIX=${PREFIX:-sw}
SUBNET=${SUBNET:-10.77.0}
HUB=${PREFIX}-hub
BRIDGE=${PREFIX}br0

host() { echo "${PREFIX}-h$1"; }
address() { echo "${SUBNET}.$1"; }

up() {
  local n=${1:?usage: up N}
  down 2>/dev/null || true
  ip netns add "$HUB"
  ip -n "$HUB" link add "$BRIDGE" type bridge
  ip -n "$HUB" link set "$BRIDGE" up
  ip -n "$HUB" link set lo up
  for i in $(seq 1 "$n"); do
    local ns; ns=$(host "$i")
    ip netns add "$ns"
    ip link add "${PREFIX}v${i}" type veth peer name "${PREFIX}p${i}"
    ip link set "${PREFIX}v${i}" netns "$ns"
    ip link set "${PREFIX}p${i}" netns "$HUB"
    ip -n "$HUB" link set "${PREFIX}p${i}" master "$BRIDGE"
    ip -n "$HUB" link set "${PREFIX}p${i}" up
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "${PREFIX}v${i}" name eth0
    ip -n "$ns" addr add "$(address "$i")/24" dev eth0
    ip -n "$ns" link set eth0 up
  done
  # Wait until every host reaches the first one.
  for i in $(seq 2 "$n"); do
    for _ in $(seq 1 50); do
      ip netns exec "$(host "$i")" ping -c1 -W1 "$(address 1)" >/dev/null 2>&1 && break
      sleep 0.1
    done
  done
  echo "up: $n hosts, $(address 1) ... $(address "$n")"
}

down() {
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^${PREFIX}-(h[0-9]+|hub)$" || true); do
    kill_host_ns "$ns"
    ip netns del "$ns"
  done
}

kill_host_ns() {
  local pids; pids=$(ip netns pids "$1" 2>/dev/null || true)
  [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
}

case "${1:-}" in
  up) up "${2:-3}" ;;
  down) down ;;
  exec) shift; i=$1; shift; exec ip netns exec "$(host "$i")" "$@" ;;
  pids) ip netns pids "$(host "${2:?host number}")" ;;
  kill) kill_host_ns "$(host "${2:?host number}")" ;;
  address) address "${2:?host number}" ;;
  *) echo "usage: $0 up N | down | exec I CMD... | pids I | kill I | address I" >&2; exit 2 ;;
esac
