"""What the sections' targets.py scripts share: reading a peer-kit results
folder, picking records, same-run ratios and their median (min-max).

ours/targets.py and shm/targets.py import it. Each finds it next to its
own directory (the repo's bench/peers, also through a symlinked section)
or else in $LATCHKEY_SRC/bench/peers (default /work/main), for a section
copied into the kit as <kit>/ours or <kit>/shm.
"""
import glob
import json
import os
import statistics
import sys


def load(d):
    """The records of each RESULTS_DIR/rep*.jsonl, one list per repetition;
    lines that are not JSON objects are skipped."""
    reps = []
    for f in sorted(glob.glob(os.path.join(d, "rep*.jsonl"))):
        recs = []
        for line in open(f):
            line = line.strip()
            if line.startswith("{"):
                try:
                    recs.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
        reps.append(recs)
    return reps


def folders(doc):
    """Yields (name, repetitions) for each RESULTS_DIR on the command line;
    exits with doc if there is none, with an error if one holds no
    rep*.jsonl."""
    if len(sys.argv) < 2:
        sys.exit(doc)
    for d in sys.argv[1:]:
        reps = load(d)
        if not reps:
            sys.exit(f"no rep*.jsonl in {d}")
        yield os.path.basename(os.path.normpath(d)), reps


def find(recs, peer, bench, clients, variant=""):
    """First record of peer/bench/clients whose variant contains variant."""
    for r in recs:
        if (r.get("peer") == peer and r.get("bench") == bench and int(r.get("clients", -1)) == clients
                and variant in r.get("variant", "")):
            return r
    return None


def ratio(a, b, field):
    """a[field] / b[field]; None if either record or field is missing or
    b's is 0."""
    if a is None or b is None or not b.get(field) or a.get(field) is None:
        return None
    return a[field] / b[field]


def cell(vals):
    """(median, its text: "m" for one value, "m (min–max)" for more);
    None if vals is empty."""
    if not vals:
        return None
    med = statistics.median(vals)
    return med, (f"{med:.2f}" if len(vals) == 1 else f"{med:.2f} ({min(vals):.2f}–{max(vals):.2f})")
