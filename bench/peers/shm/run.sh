#!/usr/bin/env bash
# shm: latchkey's same-host primitives (package shm: Lock, Value, Queue;
# package proc: Pool) next to Python's multiprocessing, in one section, so
# that each repetition of run_all.sh holds both sides (same-run ratios).
# Builds bench/cmd/shmbench from the latchkey repo ($LATCHKEY_SRC, default
# /work/main) into a temp dir and runs it (peers "latchkey-shm",
# "latchkey-proc"), then mp_bench.py next to this file (peer "mp-native").
#
# Placement: there is no server; every process of this section is a
# client. Both programs run under the kit's `cli`, and their child
# processes inherit that affinity: with PEERS_PIN=split every process runs
# on CPU 1, with same on CPU 0, with free anywhere. Records name their CPUs
# in the variant ("cpus=1").
#
# Args: --only NAME[,NAME...] (figure names, the same on both sides; a
# name only one side has, e.g. value_raw_1, runs on that side only).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${LATCHKEY_SRC:-/work/main}
only=
while [ $# -gt 0 ]; do
  case $1 in
    --only) [ $# -ge 2 ] || { echo "shm: --only needs a value" >&2; exit 2; }; only=$2; shift 2 ;;
    --only=*) only=${1#--only=}; shift ;;
    *) echo "shm: unknown argument $1 (only --only NAME,... is accepted)" >&2; exit 2 ;;
  esac
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd "$SRC" && go build -o "$TMP/shmbench" ./bench/cmd/shmbench) >&2
go_list=$("$TMP/shmbench" --list | awk '{print $1}')
py_list=$(python3 "$HERE/mp_bench.py" --list)
# pick NAMES LIST: the names of the comma-separated NAMES that LIST has
pick() { tr ',' '\n' <<<"$1" | grep -Fxf <(echo "$2") | paste -sd, || true; }
go_only=$(echo "$go_list" | paste -sd,)
py_only=$(echo "$py_list" | paste -sd,)
if [ -n "$only" ]; then
  for name in ${only//,/ }; do
    grep -Fxq "$name" <(echo "$go_list"; echo "$py_list") || { echo "shm: unknown figure $name" >&2; exit 2; }
  done
  go_only=$(pick "$only" "$go_list")
  py_only=$(pick "$only" "$py_list")
fi
if [ -n "$go_only" ]; then
  log "shm: shmbench (pin=$PEERS_PIN, cpus=${PEERS_CLIENT_CPUS:-any})"
  cli timeout "$PEERS_MAXLIFE" "$TMP/shmbench" --dur "${PEERS_DUR}s" --only "$go_only"
fi
if [ -n "$py_only" ]; then
  log "shm: mp_bench.py (pin=$PEERS_PIN, cpus=${PEERS_CLIENT_CPUS:-any})"
  cli timeout "$PEERS_MAXLIFE" python3 "$HERE/mp_bench.py" --dur "$PEERS_DUR" --only "$py_only"
fi
