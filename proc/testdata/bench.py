"""Python's multiprocessing figures for the proc benchmarks.

Run: python3 testdata/bench.py [seconds]
Compare with: go test -run '^$' -bench 'Pool|Pipe' ./proc

Each figure is the mean over a loop of about `seconds` (default 2), as
go test -bench measures, printed three times: the machine is shared, so
compare ranges taken in the same minutes.
"""
import multiprocessing as mp
import sys
import time

N = 10_000  # arguments per map, as in BenchmarkPoolMap
SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0


def sq(x):
    return x * x


def add(a, b):
    return a + b


def echo(conn, other):
    other.close()  # the parent's end, inherited by fork: EOF needs it closed
    try:
        while True:
            conn.send_bytes(conn.recv_bytes())
    except EOFError:
        pass


def rate(f, per_call):
    """Calls f for about SECONDS and returns per_call * calls / second."""
    n, t = 0, time.perf_counter()
    while time.perf_counter() - t < SECONDS:
        f()
        n += 1
    return n * per_call / (time.perf_counter() - t)


def report(name, f, per_call, unit):
    rs = [rate(f, per_call) for _ in range(3)]
    if unit == "us/op":
        rs = [1e6 / r for r in rs]
    print("%-18s %s %s" % (name, "  ".join("%10.1f" % r for r in rs), unit))


if __name__ == "__main__":
    with mp.Pool() as pool:
        pool.map(sq, range(100), 1)  # warm up: every worker has run a task
        xs = range(N)
        report("PoolMap/chunk1", lambda: pool.map(sq, xs, 1), N, "tasks/s")
        report("PoolMap/default", lambda: pool.map(sq, xs), N, "tasks/s")
        pairs = [(x, x) for x in xs]
        report("PoolStarmap", lambda: pool.starmap(add, pairs), N, "tasks/s")
        report("PoolImap/chunk1", lambda: list(pool.imap(sq, xs, 1)), N, "tasks/s")
        report("PoolImap/chunk100", lambda: list(pool.imap(sq, xs, 100)), N, "tasks/s")

        def applies():
            rs = [pool.apply_async(sq, (i,)) for i in range(1000)]
            for r in rs:
                r.get()

        report("PoolApplyAsync", applies, 1000, "tasks/s")

    a, b = mp.Pipe(True)
    p = mp.Process(target=echo, args=(b, a))
    p.start()
    b.close()
    msg = b"x" * 32

    def round_trips():
        for _ in range(1000):
            a.send_bytes(msg)
            a.recv_bytes()

    round_trips()
    report("PipeRoundTrip", round_trips, 1000, "us/op")
    a.close()
    p.join()
