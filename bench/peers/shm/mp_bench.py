#!/usr/bin/env python3
"""Python multiprocessing's same-host primitives, the twins of shmbench.

The peer benchmark kit's section shm (run.sh next to this file) runs
latchkey's bench/cmd/shmbench (peers "latchkey-shm", "latchkey-proc") and
then this script (peer "mp-native"), so that each repetition holds both
sides of every figure and their ratios are same-run ratios.  Figure names
(--only, --list) are the same as shmbench's:

  lock_1/2/4/16      lock_cycle: acquire+release of one multiprocessing.Lock
                     by 1, 2, 4, 16 processes (as the kit's native_lock_N)
  value_1/2/4        value_add: with v.get_lock(): v.value += 1 on one
                     multiprocessing.Value('q'), by 1, 2, 4 processes
  queue_handoff      two processes ping-pong a 64-byte bytes object through
                     two multiprocessing.Queue(1024): one-way p50/p99,
                     rtt_p50_us, round trips/s
  queue_throughput   one process puts 64-byte bytes objects on a
                     multiprocessing.Queue(1024) as fast as another gets
                     them: messages/s
  pool_apply_async   Pool(2): batches of 1000 apply_async(square) then get
                     of all: tasks/s
  pool_map           Pool(2): batches of map(square, 10,000 ints) with the
                     default chunksize: tasks/s

Method (the kit's python/mp_bench.py): every process is started with the
"spawn" method, warms up for 0.3 s, meets the others at a start barrier,
then loops for --dur seconds timing every cycle with time.perf_counter_ns
(CLOCK_MONOTONIC, comparable across processes).  Handoff messages carry
the sender's clock and a warm-up/timed flag, so the one-way time is taken
by the receiver.  Pool figures time whole batches; their p50/p99 are the
per-task time of a batch (batch time / batch size).  Queue throughput is
timed from the producer's first timed put to the consumer's receipt of the
end marker right after the last message; its p50/p99 are the mean time per
message ("mean_only").

CPU placement: none is set here; the process and its children inherit the
affinity they are started with (run.sh starts this script under the kit's
`cli` helper), and each record's variant names the CPUs ("cpus=1").

Usage: python3 mp_bench.py [--dur SECONDS] [--only NAME[,NAME...]] [--list]
"""
import argparse
import json
import multiprocessing as mp
import os
import struct
import sys
import time

CTX = mp.get_context("spawn")
NS = time.perf_counter_ns
WARMUP_S = 0.3
PEER = "mp-native"
MSG = 64
APPLY_BATCH = 1000
MAP_BATCH = 10_000


def cpus():
    c = sorted(os.sched_getaffinity(0))
    parts, i = [], 0
    while i < len(c):
        j = i
        while j + 1 < len(c) and c[j + 1] == c[j] + 1:
            j += 1
        parts.append(str(c[i]) if i == j else f"{c[i]}-{c[j]}")
        i = j + 1
    return ",".join(parts)


def pct(sorted_vals, q):
    if not sorted_vals:
        return float("nan")
    i = min(len(sorted_vals) - 1, max(0, int(round(q * (len(sorted_vals) - 1)))))
    return sorted_vals[i]


def emit(bench, clients, lat_ns, ops, elapsed_ns, variant="", **extra):
    lat = sorted(lat_ns)
    rec = {
        "peer": PEER,
        "bench": bench,
        "clients": clients,
        "variant": f"{variant}; cpus={cpus()}",
        "ops_per_s": round(ops / (elapsed_ns / 1e9), 1) if elapsed_ns > 0 else 0.0,
        "p50_us": round(pct(lat, 0.50) / 1e3, 2),
        "p99_us": round(pct(lat, 0.99) / 1e3, 2),
        "n": ops,
        "dur_s": round(elapsed_ns / 1e9, 3),
    }
    rec.update(extra)
    print(json.dumps(rec), flush=True)


def square(x):
    return x * x


# ---------------------------------------------------------------- workers
# As in the kit: warm up, meet the others at a native start barrier, run
# the loop for `dur` seconds, put the result on `out`.


def _cycle_loop(op, dur):
    lat = []
    app = lat.append
    start = NS()
    deadline = start + int(dur * 1e9)
    n = 0
    while True:
        t0 = NS()
        op()
        t1 = NS()
        app(t1 - t0)
        n += 1
        if t1 >= deadline:
            break
    return start, NS(), n, lat


def _warm(op):
    n = 0
    end = time.monotonic() + WARMUP_S
    while time.monotonic() < end:
        op()
        n += 1
    return n


def w_lock(lock, dur, start_bar, out):
    def op():
        lock.acquire()
        lock.release()
    _warm(op)
    start_bar.wait()
    out.put(_cycle_loop(op, dur) + (0,))


def w_value(v, dur, start_bar, out):
    def op():
        with v.get_lock():
            v.value += 1
    warm = _warm(op)
    start_bar.wait()
    out.put(_cycle_loop(op, dur) + (warm,))


def _msg(t0, flag):
    return struct.pack("<qB", t0, flag).ljust(MSG, b"x")


def w_ping(qa, qb, dur, start_bar, out):
    def trip(flag):
        t0 = NS()
        qa.put(_msg(t0, flag))
        qb.get()
        return NS() - t0
    start_bar.wait()
    end = time.monotonic() + WARMUP_S
    while time.monotonic() < end:
        trip(0)
    rtts = []
    start = NS()
    deadline = start + int(dur * 1e9)
    while True:
        rtts.append(trip(1))
        if NS() >= deadline:
            break
    stop = NS()
    qa.put(None)
    out.put(("A", start, stop, len(rtts), rtts))


def w_pong(qa, qb, start_bar, out):
    oneway = []
    start_bar.wait()
    while True:
        m = qa.get()
        t1 = NS()
        if m is None:
            break
        t0, flag = struct.unpack_from("<qB", m)
        if flag:
            oneway.append(t1 - t0)
        qb.put(m)
    out.put(("B", oneway))


def w_produce(q, dur, start_bar, out):
    warm, timed = bytes(MSG), b"\x01" + bytes(MSG - 1)
    start_bar.wait()
    end = time.monotonic() + WARMUP_S
    nw = 0
    while time.monotonic() < end:
        q.put(warm)
        nw += 1
    n = 0
    start = NS()
    deadline = start + int(dur * 1e9)
    while NS() < deadline:
        q.put(timed)
        n += 1
    q.put(None)
    out.put(("P", start, n, nw + n))


def w_consume(q, start_bar, out):
    n = total = 0
    start_bar.wait()
    while True:
        m = q.get()
        if m is None:
            break
        if m[0] == 1:
            n += 1
        total += 1
    out.put(("C", NS(), n, total))


# ---------------------------------------------------------------- drivers


def run_procs(specs):
    """Start one process per (target, args) of specs, each args with
    start_bar and out appended, and return what they put on out, in the
    order they put it."""
    start_bar = CTX.Barrier(len(specs))
    out = CTX.Queue()
    ps = [CTX.Process(target=target, args=tuple(args) + (start_bar, out)) for target, args in specs]
    for p in ps:
        p.start()
    res = [out.get() for _ in ps]
    for p in ps:
        p.join()
    return res


def run_workers(target, argsets):
    """Start one process of target per argset (see run_procs)."""
    return run_procs([(target, a) for a in argsets])


def report_cycles(bench, clients, res, variant, **extra):
    starts = [r[0] for r in res]
    ends = [r[1] for r in res]
    ops = sum(r[2] for r in res)
    lat = [x for r in res for x in r[3]]
    emit(bench, clients, lat, ops, max(ends) - min(starts), variant, **extra)


def procs(n):
    return "1 process" if n == 1 else f"{n} processes"


def b_lock(dur, n):
    lock = CTX.Lock()
    res = run_workers(w_lock, [(lock, dur)] * n)
    report_cycles("lock_cycle", n, res, f"multiprocessing.Lock (sem_t in shm), {procs(n)}",
                  note="per-op perf_counter_ns adds ~0.1 us")


def b_value(dur, n):
    v = CTX.Value("q", 0)
    res = run_workers(w_value, [(v, dur)] * n)
    adds = sum(r[2] + r[4] for r in res)
    if v.value != adds:
        sys.exit(f"value_{n}: value is {v.value} after {adds} adds")
    report_cycles("value_add", n, res, f"Value('q'): with v.get_lock(): v.value += 1, {procs(n)}",
                  note="per-op perf_counter_ns adds ~0.1 us")


def _pair(target_a, args_a, target_b, args_b):
    """Run the two sides of a queue figure (see run_procs) and return their
    results by the tag each puts first ("A", "B", "P", "C")."""
    return {x[0]: x for x in run_procs([(target_a, args_a), (target_b, args_b)])}


def b_queue_handoff(dur):
    qa, qb = CTX.Queue(1024), CTX.Queue(1024)
    r = _pair(w_ping, (qa, qb, dur), w_pong, (qa, qb))
    _, start, stop, n, rtts = r["A"]
    oneway = r["B"][1]
    if len(oneway) != n:
        sys.exit(f"queue_handoff: B saw {len(oneway)} timed messages, A sent {n}")
    rt = sorted(rtts)
    emit("queue_handoff", 2, oneway, n, stop - start, "multiprocessing.Queue(1024) put->get, 64 B bytes, 2 processes",
         rtt_p50_us=round(pct(rt, 0.5) / 1e3, 2), rtt_p99_us=round(pct(rt, 0.99) / 1e3, 2),
         note="p50/p99 = one-way handoff; ops_per_s = round trips/s")


def b_queue_throughput(dur):
    q = CTX.Queue(1024)
    r = _pair(w_produce, (q, dur), w_consume, (q,))
    _, start, n, total = r["P"]
    _, end, got, got_total = r["C"]
    if (got, got_total) != (n, total):
        sys.exit(f"queue_throughput: consumer got {got} timed of {got_total}, producer put {n} of {total}")
    el = end - start
    mean = [el / n] if n else []
    emit("queue_throughput", 2, mean, n, el, "multiprocessing.Queue(1024) 64 B bytes, 1 producer + 1 consumer process",
         mean_only=True, note="ops_per_s = messages/s; p50/p99 = mean time per message")


def b_pool(dur, mapped, workers=2):
    size = MAP_BATCH if mapped else APPLY_BATCH
    xs = list(range(size))
    want = [x * x for x in xs]

    with CTX.Pool(workers) as pool:
        def batch():
            if mapped:
                ys = pool.map(square, xs)
            else:
                rs = [pool.apply_async(square, (x,)) for x in xs]
                ys = [r.get() for r in rs]
            if ys != want:
                sys.exit("pool: wrong results")

        end = time.monotonic() + WARMUP_S
        while True:  # at least one batch: every worker has started
            batch()
            if time.monotonic() >= end:
                break
        lat, tasks = [], 0
        start = NS()
        deadline = start + int(dur * 1e9)
        while NS() < deadline:
            t = NS()
            batch()
            lat.append((NS() - t) / size)
            tasks += size
        el = NS() - start
    if mapped:
        bench, variant = "pool_map", f"Pool({workers}).map over {size} ints, default chunksize"
    else:
        bench, variant = "pool_apply_async", f"Pool({workers}).apply_async x{size} then get all"
    emit(bench, workers, lat, tasks, el, variant, batch=size,
         note="ops_per_s = tasks/s; p50/p99 = per-task time of a batch (batch time / batch size)")


BENCHES = {
    "lock_1": lambda d: b_lock(d, 1),
    "lock_2": lambda d: b_lock(d, 2),
    "lock_4": lambda d: b_lock(d, 4),
    "lock_16": lambda d: b_lock(d, 16),
    "value_1": lambda d: b_value(d, 1),
    "value_2": lambda d: b_value(d, 2),
    "value_4": lambda d: b_value(d, 4),
    "queue_handoff": b_queue_handoff,
    "queue_throughput": b_queue_throughput,
    "pool_apply_async": lambda d: b_pool(d, False),
    "pool_map": lambda d: b_pool(d, True),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dur", type=float, default=3.0, help="seconds per figure (default 3)")
    ap.add_argument("--only", default="", help="comma-separated figure names (default: all)")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        print("\n".join(BENCHES))
        return
    if a.dur <= 0:
        sys.exit("--dur must be positive")
    names = [x.strip() for x in a.only.split(",") if x.strip()] or list(BENCHES)
    for name in names:
        if name not in BENCHES:
            sys.exit(f"unknown figure {name}; --list shows them")
    for name in names:
        t = time.monotonic()
        BENCHES[name](a.dur)
        print(f"# {name} took {time.monotonic() - t:.1f}s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
