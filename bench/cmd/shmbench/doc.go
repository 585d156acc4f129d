// Command shmbench measures latchkey's same-host primitives the way the
// peer benchmark kit (../shared/peers, see bench/README.md) measures
// Python's multiprocessing, and prints the kit's JSON lines: peer
// "latchkey-shm" for package shm's Lock, Value and Queue, peer
// "latchkey-proc" for package proc's Pool. Its twin on the Python side is
// bench/peers/shm/mp_bench.py (peer "mp-native"), which the kit section
// bench/peers/shm/run.sh runs right after it, so that their ratios are
// same-run ratios.
//
// Usage:
//
//	shmbench [--dur 3s] [--warmup 300ms] [--only lock_1,queue_handoff,...]
//	    [--workers 2] [--dir /dev/shm] [--list]
//
// The figures (--list prints them; the Python script has the same names):
//
//	lock_1/2/4/16      lock_cycle: Lock+Unlock of one shm.Lock by 1, 2, 4,
//	                   16 processes (the kit's native_lock_N records)
//	value_1/2/4        value_add: Value[int64].Add(1) with its attached
//	                   lock, by 1, 2, 4 processes (Python: with
//	                   v.get_lock(): v.value += 1)
//	value_raw_1/2/4    value_add of a raw Value (one atomic add), after
//	                   the locked records; Python has no atomic twin
//	queue_handoff      two processes ping-pong a 64-byte message through
//	                   two Queues: one-way p50/p99, rtt_p50_us, round
//	                   trips/s
//	queue_throughput   one process puts 64-byte messages as fast as
//	                   another gets them: messages/s
//	pool_apply_async   Pool of --workers processes: batches of 1000
//	                   ApplyAsync(square) then Get of all; tasks/s
//	pool_map           the same Pool: batches of Map(square) over 10,000
//	                   ints with the default chunk size; tasks/s
//
// Processes: every contender is a separate process, this binary started
// again by package proc (each role is a function registered with
// proc.Register and run with proc.NewProcess; the pool's workers are
// proc's own). proc is what a user of latchkey would use for this, passes
// each role its settings without a command-line protocol of its own, and
// returns each process's tally as its result; the children are daemons,
// so they die with this program however it ends. Children inherit this
// program's CPU affinity: run it under the kit's cli helper and every
// process of the figure runs on the client CPUs; each record's variant
// names the CPUs ("cpus=1").
//
// Timing follows the kit: setup (starting processes, opening objects, the
// pool) is not timed; each process warms up for --warmup, the processes
// of a figure meet at an shm.Barrier, then each loops for --dur.
// ops_per_s is cycles per second summed over processes, from the earliest
// start to the latest end. Latencies are per cycle, from one clock
// reading per cycle, kept in a log-linear histogram (exact below 128 ns,
// within 0.8% above) that each process returns to this one.
// Timestamps compared across processes (start and end, a handoff's
// one-way time) are CLOCK_MONOTONIC, as Python's perf_counter_ns is;
// each process reads it through Go's monotonic clock with an offset
// calibrated once against clock_gettime (error well under 1 µs).
//
// The objects live in a fresh directory under --dir, removed at the end
// (also on SIGINT or SIGTERM). Linux only.
package main
