#!/usr/bin/env bash
# durable: write throughput and latency of the latchkey server in each sync
# mode (always, interval, never, and none = in memory) next to Redis with
# appendfsync always and everysec, at 1 and 16 clients, in one run (issue 4:
# with the default mode, >= 0.5x the in-memory throughput at 16 clients).
# The figure is dict_setget (Store+Load of the client's own key; Redis:
# HSET+HGET), so every cycle makes one durable write. Records carry the mode
# in the peer name: ours-go-<mode>, redis-aof-<fsync>. The data directories
# are temp dirs on the disk of $TMPDIR (say which in the results' notes).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
SRC=${LATCHKEY_SRC:-/work/main}
PORT=${PEERS_OURS_PORT:-7469}
RPORT=${PEERS_REDIS_PORT:-6399}
TMP=$(mktemp -d "${TMPDIR:-/var/tmp}/lkdur.XXXXXX")
SERVER_PID=
trap 'stop_pid "$SERVER_PID"; rm -rf "$TMP"' EXIT
mkdir -p "$TMP/bin"
(cd "$SRC" && go build -o "$TMP/bin/latchkeybench" ./bench/cmd/latchkeybench && go build -o "$TMP/bin/latchkey" ./cmd/latchkey) >&2
build_go

for mode in none always interval never; do
  rm -rf "$TMP/data"; mkdir -p "$TMP/data"
  start_server "$TMP/server.log" "$TMP/bin/latchkey" serve --addr "127.0.0.1:$PORT" --data "$TMP/data" --socket - --sync "$mode" --log-level warn
  log "durable: latchkey serve --sync $mode (pin=$PEERS_PIN)"
  cli timeout "$PEERS_MAXLIFE" "$TMP/bin/latchkeybench" --addr "127.0.0.1:$PORT" --dur "${PEERS_DUR}s" \
    --peer "ours-go-$mode" --only dict_1,dict_16
  stop_pid "$SERVER_PID"; SERVER_PID=
done

command -v redis-server >/dev/null || { echo "redis-server missing: apt-get install -y redis-server" >&2; exit 1; }
for fsync in always everysec; do
  rm -rf "$TMP/redis"; mkdir -p "$TMP/redis"
  start_server "$TMP/redis.log" redis-server --bind 127.0.0.1 --port "$RPORT" --save '' --appendonly yes \
    --appendfsync "$fsync" --protected-mode yes --daemonize no --dir "$TMP/redis" --loglevel warning
  for i in $(seq 1 100); do
    [ "$(redis-cli -h 127.0.0.1 -p "$RPORT" ping 2>/dev/null)" = PONG ] && break
    sleep 0.1
  done
  log "durable: redis appendfsync $fsync (pin=$PEERS_PIN)"
  cli "$PEERS_DIR/go/bin/redisbench" -addr "127.0.0.1:$RPORT" -dur "${PEERS_DUR}s" -run dict:1,dict:16 \
    | sed "s/\"peer\": *\"redis\"/\"peer\": \"redis-aof-$fsync\"/"
  stop_pid "$SERVER_PID"; SERVER_PID=
done
