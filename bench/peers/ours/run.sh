#!/usr/bin/env bash
# ours: the latchkey server (Go) measured like the kit's peers. Builds the
# server and bench/cmd/latchkeybench from the latchkey repo ($LATCHKEY_SRC,
# default /work/main) into a temp dir, starts the server on
# 127.0.0.1:$PEERS_OURS_PORT (Unix socket in its temp data dir) pinned to
# the server CPUs, runs latchkeybench pinned to the client CPUs (peer
# "ours-go"; TCP figures, a few Unix-socket twins), then measures the
# server's memory per idle lock / idle session on a fresh server, and stops
# the server by its PID.
#
# Extra args go to latchkeybench (e.g. --only lock_1,lock_16).
# LATCHKEY_SYNC=MODE runs the server with --sync MODE (default none: in
# memory, as the kit's Redis runs without persistence).
# LATCHKEY_CPUPROFILE=FILE has the server write a CPU profile of its run
# to FILE (latchkey serve's hidden --cpuprofile flag).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
SRC=${LATCHKEY_SRC:-/work/main}
PORT=${PEERS_OURS_PORT:-7469}
TMP=$(mktemp -d)
SERVER_PID=
trap 'stop_pid "$SERVER_PID"; rm -rf "$TMP"' EXIT
mkdir -p "$TMP/bin" "$TMP/data"
(cd "$SRC" && go build -o "$TMP/bin/latchkeybench" ./bench/cmd/latchkeybench) >&2
(cd "$SRC" && go build -o "$TMP/bin/latchkey" ./cmd/latchkey) >&2
# In memory by default, like the kit's Redis (--save '' --appendonly no);
# the durable modes are compared in the durable section.
server=("$TMP/bin/latchkey" serve --addr "127.0.0.1:$PORT" --data "$TMP/data" --sync "${LATCHKEY_SYNC:-none}")
kind="latchkey serve --sync ${LATCHKEY_SYNC:-none}"
prof=()
[ -n "${LATCHKEY_CPUPROFILE:-}" ] && prof=(--cpuprofile "$LATCHKEY_CPUPROFILE")
# start_ours [ARG...]: start a fresh server with ARGs added; sets SERVER_PID
# (the `timeout` wrapper) and OURS_PID (the server itself, its only child).
start_ours() {
  rm -rf "$TMP/data"; mkdir -p "$TMP/data"
  start_server "$TMP/server.log" "${server[@]}" "$@"
  OURS_PID=
  for i in $(seq 1 100); do
    OURS_PID=$(ps -o pid= --ppid "$SERVER_PID" 2>/dev/null | head -1 | tr -d ' ') || true
    [ -n "$OURS_PID" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.log" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$OURS_PID" ] || { echo "ours: server process not found" >&2; exit 1; }
  # the Unix socket appears once the server listens (latchkeybench waits for TCP)
  for i in $(seq 1 50); do [ -S "$TMP/data/latchkey.sock" ] && break; sleep 0.1; done
  log "ours: $kind (pid $OURS_PID) on 127.0.0.1:$PORT (pin=$PEERS_PIN)"
}
bench() {
  local args=(--addr "127.0.0.1:$PORT" --dur "${PEERS_DUR}s" --server-pid "$OURS_PID")
  [ -S "$TMP/data/latchkey.sock" ] && args+=(--unix "$TMP/data/latchkey.sock")
  cli timeout "$PEERS_MAXLIFE" "$TMP/bin/latchkeybench" "${args[@]}" "$@"
}
start_ours ${prof[@]+"${prof[@]}"}
if [ $# -gt 0 ]; then
  bench "$@"
else
  # every figure but mem, then mem on a fresh server, so that the memory
  # figures do not inherit the heap the timed figures left behind
  bench --only "$("$TMP/bin/latchkeybench" --list | awk '$1 != "mem" {print $1}' | paste -sd,)"
  stop_pid "$SERVER_PID"
  start_ours
  bench --only mem
fi
