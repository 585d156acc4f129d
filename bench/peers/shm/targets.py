#!/usr/bin/env python3
"""Check the issue-5 performance targets on a peer-kit results folder.

Reads RESULTS_DIR/rep*.jsonl written by the kit's run_all.sh with the
section shm (bench/peers/shm: latchkey's shm and proc next to Python's
multiprocessing), computes every target's ratio latchkey / Python within
each repetition (same-run ratios: the machine's speed drifts between
repetitions, not within one), and prints a Markdown table with both sides'
medians in absolute units, the ratio's median (min-max) over repetitions,
and whether the median meets the target. For latencies the ratio is
Python's over ours, so that above 1 always means latchkey is ahead.

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
from targetslib import cell, find, folders  # noqa: E402
from targetslib import ratio as _ratio  # noqa: E402

SHM, PROC, PY = "latchkey-shm", "latchkey-proc", "mp-native"


def fmt(v, unit):
    if v is None:
        return "-"
    if unit == "/s":
        return f"{v / 1e6:.2f} M/s" if v >= 1e6 else f"{v / 1e3:.1f} k/s"
    return f"{v:.2f} µs"


# Each target: (title, goal text, aim (met if median >= aim), also (a
# stretch goal or None), ours(R), python(R), field, unit, higher_is_better).
# ours/python pick the records of one repetition.
def T(title, goal, aim, stretch, bench, clients, field="ops_per_s", ours_peer=SHM, ours_variant="", unit="/s"):
    return dict(title=title, goal=goal, aim=aim, stretch=stretch, field=field, unit=unit,
                ours=lambda R: find(R, ours_peer, bench, clients, ours_variant),
                py=lambda R: find(R, PY, bench, clients))


TARGETS = (
    [T(f"Lock acquire+release, {n} process{'es' if n > 1 else ''}: ops/s", ">= 1 (aim 2)", 1.0, 2.0,
       "lock_cycle", n) for n in (1, 2, 4, 16)]
    + [T(f"Value add (with its lock), {n} process{'es' if n > 1 else ''}: ops/s", ">= 1", 1.0, None,
         "value_add", n, ours_variant="attached") for n in (1, 2, 4)]
    + [T("Queue handoff 64 B: one-way p50 (Python ÷ ours)", ">= 2", 2.0, None, "queue_handoff", 2,
         field="p50_us", unit="us"),
       T("Queue handoff 64 B: round trip p50 (Python ÷ ours)", ">= 2", 2.0, None, "queue_handoff", 2,
         field="rtt_p50_us", unit="us"),
       T("Queue handoff 64 B: round trips/s", ">= 2", 2.0, None, "queue_handoff", 2),
       T("Queue throughput 64 B, 1 producer + 1 consumer: msgs/s", ">= 2", 2.0, None, "queue_throughput", 2),
       T("Pool(2) apply_async then get all: tasks/s", ">= 5", 5.0, None, "pool_apply_async", 2, ours_peer=PROC),
       T("Pool(2) map, default chunks: tasks/s", ">= 5", 5.0, None, "pool_map", 2, ours_peer=PROC)]
)

# Figures without a Python twin or goal, shown for information.
INFO = [(f"raw Value add (one atomic add), {n} process{'es' if n > 1 else ''} vs Python's locked add", n)
        for n in (1, 2, 4)]


def ratio(ours, py, field, unit):
    """ours / python for rates, python / ours for latencies."""
    return _ratio(ours, py, field) if unit == "/s" else _ratio(py, ours, field)


def main():
    for name, reps in folders(__doc__):
        cpus = sorted({r["variant"].rsplit("cpus=", 1)[1] for R in reps for r in R
                       if r.get("peer") in (SHM, PROC, PY) and "cpus=" in r.get("variant", "")})
        print(f"{name}: {len(reps)} repetition(s), cpus={'/'.join(cpus) or '?'}; "
              "same-run ratios latchkey ÷ Python (latencies: Python ÷ latchkey), median (min–max)\n")
        print("| target | goal | latchkey | Python | ratio | met |")
        print("|---|---|---:|---:|---:|---|")
        for t in TARGETS:
            vals, ours, py = [], [], []
            for R in reps:
                o, p = t["ours"](R), t["py"](R)
                if o is not None and o.get(t["field"]) is not None:
                    ours.append(o[t["field"]])
                if p is not None and p.get(t["field"]) is not None:
                    py.append(p[t["field"]])
                v = ratio(o, p, t["field"], t["unit"])
                if v is not None:
                    vals.append(v)
            o_med = fmt(statistics.median(ours), t["unit"]) if ours else "-"
            p_med = fmt(statistics.median(py), t["unit"]) if py else "-"
            c = cell(vals)
            if c is None:
                print(f"| {t['title']} | {t['goal']} | {o_med} | {p_med} | - | missing figures |")
                continue
            med, text = c
            met = "NO"
            if med >= t["aim"]:
                met = "yes" if t["stretch"] is None else ("yes, aim too" if med >= t["stretch"] else "yes, aim not")
            print(f"| {t['title']} | {t['goal']} | {o_med} | {p_med} | {text} | {met} |")
        for title, n in INFO:
            vals, ours = [], []
            for R in reps:
                o = find(R, SHM, "value_add", n, "raw")
                p = find(R, PY, "value_add", n)
                if o is not None:
                    ours.append(o["ops_per_s"])
                v = ratio(o, p, "ops_per_s", "/s")
                if v is not None:
                    vals.append(v)
            c = cell(vals)
            if c is not None:
                print(f"| {title} | info | {fmt(statistics.median(ours), '/s')} | | {c[1]} | |")
        print()


if __name__ == "__main__":
    main()
