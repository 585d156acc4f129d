// Command latchkeybench measures a running latchkey server the way the
// peer benchmark kit (../shared/peers, see bench/README.md) measures Redis
// and Python's multiprocessing.Manager, and prints the kit's JSON lines
// (peer "ours-go") so that tools/summarize.py puts our figures beside
// theirs.
//
// Usage:
//
//	latchkeybench --addr 127.0.0.1:7469 [--unix DIR/latchkey.sock]
//	    [--dur 3s] [--warmup 300ms] [--only lock_1,lock_16,...]
//	    [--server-pid PID] [--list]
//
// Every client is its own [client.Dial] (one connection, one session),
// as every redisbench client is its own one-connection go-redis client.
// The figures (--list prints them):
//
//	get_rtt_1          one Dict.Load: a single round trip
//	lock_1/4/16        Lock+Unlock of one lock by 1, 4, 16 clients
//	lock64_1conn       64 goroutines on ONE client, each cycling its own
//	                   lock; requests_per_s (2 per cycle) is the twin of
//	                   the floor's pipelined_32B msgs/s
//	sem4_16            Acquire+Release of Semaphore(4) by 16 clients (the
//	                   kit's mp.Manager semaphore figure)
//	dict_1             Store then Load of the client's own key
//	queue_1            Put then Get on one FIFO queue by the same client
//	event_handoff      Event ping-pong between two clients: one-way latency
//	                   from Set start to the other client's Wait return
//	queue_handoff      Queue ping-pong between two clients: one-way latency
//	                   from Put start to the other client's Get return
//	barrier_4          Barrier(4) generations, 4 clients
//	*_unix             the same over the Unix socket (needs --unix)
//	mem                server VmRSS growth per idle lock and per idle
//	                   session (needs --server-pid)
//
// Timing follows the kit: setup is not timed, each figure warms up for
// --warmup, then all its clients start together and loop for --dur;
// latencies are per cycle over all clients (nearest-rank percentiles),
// ops_per_s is cycles per second summed over clients. The handoffs run
// both clients in this process and take both timestamps from its
// monotonic clock, as the kit's redisbench does for LPUSH->BLPOP.
//
// The program only reads the server: start it separately (the kit
// section bench/peers/ours/run.sh does, pinned like the kit's peers).
package main
