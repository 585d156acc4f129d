// Package kit is what the benchmark commands (bench/cmd/latchkeybench,
// bench/cmd/shmbench) share: the record they print, in the peer
// benchmark kit's format (one JSON line per figure, as the kit's
// tools/summarize.py reads it), and the command line every one of them
// has: a table of named figures, --dur and --warmup, --only and --list.
//
// The record mirrors the kit's go/internal/stats (duplicated, not
// imported, so that this module does not depend on the kit): the same
// fields, nearest-rank percentiles in microseconds rounded to 0.01,
// ops_per_s rounded to 0.1, dur_s to 0.001.
//
// Nothing here is safe for concurrent use unless its doc says so; a
// command parses its flags once and writes its records from one
// goroutine.
package kit
