// Command appendfile shows a lock serializing access to a resource outside
// the program's memory: two workers append lines to one file, each holding
// a [local.Lock] while it writes its block, so the blocks never interleave.
//
// It mirrors seed 002 (进程同步:进程锁), where two multiprocessing.Process
// workers append ten lines each to file.txt, one taking the lock with a
// "with lock:" statement and the other with lock.acquire() and a
// try/finally lock.release(). Go has no "with" statement; latchkey.With is
// its equivalent (Lock, then a deferred Unlock that runs even when the body
// fails), and the second worker spells out the same thing by hand.
//
// Each line is written with its own write call, so without the lock the
// two workers' lines could interleave. After both workers are done the
// program reads back what it appended, prints the line count and checks
// that each worker's lines form one contiguous block.
//
// By default the file is created in a new temporary directory, which is
// removed afterwards; -file names a file to append to instead (created if
// needed, kept afterwards; only the lines of this run are checked).
//
// This version uses goroutines and package local; examples/procprinters
// shows a lock shared by OS processes instead (a lock in shared memory,
// package shm, that each child process opens by name).
//
// Usage:
//
//	go run ./examples/appendfile [-file path] [-lines 10]
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

func main() {
	file := flag.String("file", "", "file to append to (default: file.txt in a new temporary directory, removed afterwards)")
	lines := flag.Int("lines", 10, "lines each worker appends")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, *file, *lines); err != nil {
		fmt.Fprintln(os.Stderr, "appendfile:", err)
		os.Exit(1)
	}
}

// The lines the two workers write, as in the seed.
const (
	lineWith   = "lock acquired via with"
	lineNoWith = "lock acquired directly"
)

// run has two workers append lines lines each to the file at path under
// one lock, then checks what they appended and reports it to w. An empty
// path means file.txt in a new temporary directory, removed at the end.
func run(ctx context.Context, w io.Writer, path string, lines int) (err error) {
	if lines < 1 {
		return fmt.Errorf("-lines is %d, want at least 1", lines)
	}
	if path == "" {
		dir, err := os.MkdirTemp("", "appendfile-")
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
		path = filepath.Join(dir, "file.txt")
	}
	// Python's "a+" mode: create the file if needed and append. Only the
	// lines appended from here on are checked.
	start, err := fileSize(path)
	if err != nil {
		return err
	}

	var mu local.Lock
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = workerWith(ctx, &mu, path, lines) })
	wg.Go(func() { errs[1] = workerNoWith(ctx, &mu, path, lines) })
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}

	got, err := readLines(path, start)
	if err != nil {
		return err
	}
	blocks, err := check(got, lines)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	_, err = fmt.Fprintf(w, "%s: appended %d lines in %d blocks of %d, not interleaved\n",
		filepath.Base(path), len(got), len(blocks), lines)
	if err != nil {
		return err
	}
	for _, b := range blocks {
		if _, err := fmt.Fprintf(w, "  %d x %q\n", lines, b); err != nil {
			return err
		}
	}
	return nil
}

// workerWith is the seed's worker_with: "with lock, open(f, 'a+') as fs".
func workerWith(ctx context.Context, mu *local.Lock, path string, lines int) error {
	return latchkey.With(ctx, mu, func(latchkey.Fence) error {
		return appendLines(path, lineWith, lines)
	})
}

// workerNoWith is the seed's worker_no_with: lock.acquire(), then the work
// in a try block whose finally releases the lock.
func workerNoWith(ctx context.Context, mu *local.Lock, path string, lines int) (err error) {
	if _, err := mu.Lock(ctx); err != nil {
		return err
	}
	defer func() {
		// The "finally: lock.release()". Unlike the seed, which swallows
		// every exception with "except Exception: pass", errors are
		// returned.
		err = errors.Join(err, mu.Unlock(ctx))
	}()
	return appendLines(path, lineNoWith, lines)
}

// appendLines opens path for appending and writes line n times, one write
// call per line.
func appendLines(path, line string, n int) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	for range n {
		if _, err := io.WriteString(f, line+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// fileSize returns the size of the file at path, 0 if it does not exist.
func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return 0, nil
	case err != nil:
		return 0, err
	case !fi.Mode().IsRegular():
		return 0, fmt.Errorf("%s is not a regular file", path)
	}
	return fi.Size(), nil
}

// readLines returns the lines of the file at path from byte offset start.
func readLines(path string, start int64) (lines []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}

// check verifies that lines is one block of size identical lines per
// worker, each worker's line once, in either order, and returns the line of
// each block in file order.
func check(lines []string, size int) ([]string, error) {
	if len(lines) != 2*size {
		return nil, fmt.Errorf("got %d lines, want %d", len(lines), 2*size)
	}
	var blocks []string
	for i, l := range lines {
		if l != lineWith && l != lineNoWith {
			return nil, fmt.Errorf("line %d is %q, which no worker writes", i+1, l)
		}
		if i%size == 0 {
			blocks = append(blocks, l)
		} else if l != lines[i-1] {
			return nil, fmt.Errorf("line %d (%q) interleaves with the block above (%q)", i+1, l, lines[i-1])
		}
	}
	if blocks[0] == blocks[1] {
		return nil, fmt.Errorf("both blocks are %q", blocks[0])
	}
	return blocks, nil
}
