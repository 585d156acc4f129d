#!/usr/bin/env python3
"""Check the issue-3 performance targets on a peer-kit results folder.

Reads RESULTS_DIR/rep*.jsonl written by the kit's run_all.sh with the
sections floor, python, redis and ours, computes every target's ratio
within each repetition (same-run ratios: the machine's speed drifts between
repetitions, not within one), and prints a Markdown table with the median
(min-max) over repetitions and whether the median meets the target.

Usage: targets.py RESULTS_DIR [RESULTS_DIR...]
"""
import os
import statistics
import sys

# targetslib.py is in bench/peers: next to this folder in the repo, else
# in $LATCHKEY_SRC for a copy of this folder in the kit (bench/README.md).
sys.dont_write_bytecode = True  # no __pycache__ in the repo
sys.path += [os.path.dirname(os.path.dirname(os.path.realpath(__file__))),
             os.path.join(os.environ.get("LATCHKEY_SRC", "/work/main"), "bench", "peers")]
from targetslib import cell, find, folders, ratio  # noqa: E402

OURS = "ours-go"


def spread(r):
    if r is None or not r.get("p50_us") or r.get("p99_us") is None:
        return None
    return r["p99_us"] / r["p50_us"]


# (target, goal, test, function of one repetition's records -> value)
TARGETS = [
    ("Uncontended lock cycle, 1 client: ops/s vs Redis", ">= 0.95", lambda v: v >= 0.95,
     lambda R: ratio(find(R, OURS, "lock_cycle", 1), find(R, "redis", "lock_cycle", 1, "spin"), "ops_per_s")),
    ("16 clients on one lock: ops/s vs Redis", ">= 3", lambda v: v >= 3,
     lambda R: ratio(find(R, OURS, "lock_cycle", 16), find(R, "redis", "lock_cycle", 16, "spin"), "ops_per_s")),
    ("16 clients on one lock: our p99 / p50", "<= 4", lambda v: v <= 4,
     lambda R: spread(find(R, OURS, "lock_cycle", 16))),
    ("Semaphore(4), 16 clients: ops/s vs mp.Manager", ">= 2", lambda v: v >= 2,
     lambda R: ratio(find(R, OURS, "semaphore_cycle", 16), find(R, "mp-manager", "semaphore_cycle", 16), "ops_per_s")),
    ("Queue put+get, 1 client: ops/s vs Redis", ">= 0.95", lambda v: v >= 0.95,
     lambda R: ratio(find(R, OURS, "queue_putget", 1), find(R, "redis", "queue_putget", 1), "ops_per_s")),
    ("Dict set+get, 1 client: ops/s vs Redis", ">= 0.95", lambda v: v >= 0.95,
     lambda R: ratio(find(R, OURS, "dict_setget", 1), find(R, "redis", "dict_setget", 1), "ops_per_s")),
    ("Event handoff one-way p50 vs Redis BLPOP handoff", "<= 1.05", lambda v: v <= 1.05,
     lambda R: ratio(find(R, OURS, "event_handoff", 2), find(R, "redis", "queue_handoff", 2), "p50_us")),
    ("Queue handoff one-way p50 vs Redis BLPOP handoff", "<= 1.05", lambda v: v <= 1.05,
     lambda R: ratio(find(R, OURS, "queue_handoff", 2), find(R, "redis", "queue_handoff", 2), "p50_us")),
    ("64 goroutines, distinct locks, 1 conn: requests/s (2 per cycle) vs floor pipelined msgs/s", ">= 0.5",
     lambda v: v >= 0.5,
     lambda R: ratio(dict(ops_per_s=(find(R, OURS, "lock_cycle", 64, "one connection") or {}).get("requests_per_s")),
                     find(R, "loopback-tcp", "pipelined_32B", 1), "ops_per_s")),
    ("64 goroutines, distinct locks, 1 conn: cycles/s vs floor pipelined msgs/s", ">= 0.5", lambda v: v >= 0.5,
     lambda R: ratio(find(R, OURS, "lock_cycle", 64, "one connection"), find(R, "loopback-tcp", "pipelined_32B", 1),
                     "ops_per_s")),
]


def main():
    for name, reps in folders(__doc__):
        print(f"{name}: {len(reps)} repetition(s); same-run ratios, median (min–max)\n")
        print("| target | goal | ratio | met |")
        print("|---|---|---:|---|")
        for title, goal, ok, f in TARGETS:
            vals = []
            for R in reps:
                try:
                    v = f(R)
                except (KeyError, TypeError, ZeroDivisionError):
                    v = None
                if v is not None:
                    vals.append(v)
            c = cell(vals)
            if c is None:
                print(f"| {title} | {goal} | - | missing figures |")
                continue
            med, text = c
            print(f"| {title} | {goal} | {text} | {'yes' if ok(med) else 'NO'} |")
        mem = [r for R in reps for r in R if r.get("peer") == OURS and r.get("bench", "").startswith("mem_")]
        for b in ("mem_object", "mem_session"):
            vals = [r["bytes"] for r in mem if r["bench"] == b]
            if vals:
                print(f"\n{b}: {statistics.median(vals):,.0f} bytes (median of {len(vals)}; "
                      f"{[r for r in mem if r['bench'] == b][0]['variant']})", end="")
        print("\n")


if __name__ == "__main__":
    main()
