"""Python's multiprocessing figures for the shm benchmarks (bench_test.go).

Run: python3 testdata/bench.py
Compare with: go test -run '^$' -bench . ./shm
"""
import multiprocessing as mp
import time

N = 200_000


def lock_loop(lock, n):
    for _ in range(n):
        lock.acquire()
        lock.release()


def value_add(v, n):
    for _ in range(n):
        with v.get_lock():
            v.value += 1


def sem_loop(s, n):
    for _ in range(n):
        s.acquire()
        s.release()


def echo(ping, pong, n):
    for _ in range(n):
        pong.put(ping.get())


def drain(q, n):
    for _ in range(n):
        q.get()


def timed(f, *args):
    t = time.perf_counter()
    f(*args)
    return time.perf_counter() - t


if __name__ == "__main__":
    lock = mp.Lock()
    print("Lock/Uncontended       %6.0f ns/op" % (timed(lock_loop, lock, N) / N * 1e9))
    p = mp.Process(target=lock_loop, args=(lock, N))
    t = time.perf_counter()
    p.start()
    lock_loop(lock, N)
    p.join()
    print("Lock/TwoProcesses      %6.0f ns/op-both" % ((time.perf_counter() - t) / (2 * N) * 1e9))
    v = mp.Value("q", 0)
    print("ValueAdd/Locked        %6.0f ns/op" % (timed(value_add, v, N) / N * 1e9))
    rv = mp.RawValue("q", 0)
    t = time.perf_counter()
    for _ in range(N):
        rv.value += 1
    print("ValueAdd/Raw (+=, not atomic) %6.0f ns/op" % ((time.perf_counter() - t) / N * 1e9))
    s = mp.Semaphore(1)
    print("Semaphore              %6.0f ns/op" % (timed(sem_loop, s, N) / N * 1e9))
    # Queue: a 64-byte message to another process and back, one at a
    # time; then messages put as fast as another process takes them,
    # timed until it has taken the last (the Go benchmark's Shutdown and
    # wait are the join here).
    msg = b"x" * 64
    n = N // 10
    ping, pong = mp.Queue(1024), mp.Queue(1024)
    p = mp.Process(target=echo, args=(ping, pong, n + 1))
    p.start()
    ping.put(msg)
    pong.get()
    t = time.perf_counter()
    for _ in range(n):
        ping.put(msg)
        pong.get()
    el = time.perf_counter() - t
    p.join()
    print("Queue/RoundTrip        %6.0f ns/op" % (el / n * 1e9))
    q = mp.Queue(1024)
    p = mp.Process(target=drain, args=(q, N))
    p.start()
    t = time.perf_counter()
    for _ in range(N):
        q.put(msg)
    p.join()
    el = time.perf_counter() - t
    print("Queue/Throughput       %6.0f ns/op %9.0f msgs/s" % (el / N * 1e9, N / el))
