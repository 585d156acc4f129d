package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

func TestAppendReplayRoundTrip(t *testing.T) {
	for _, mode := range []SyncMode{SyncAlways, SyncInterval, SyncNever} {
		t.Run(mode.String(), func(t *testing.T) {
			forEachFS(t, func(t *testing.T, e *env) {
				l := e.open(t, Options{Sync: mode})
				if got := l.Last(); got != 0 {
					t.Fatalf("new log: Last() = %d", got)
				}
				if i, err := l.Append(nil); err != nil || i != 1 { // an empty record
					t.Fatalf("Append(nil) = %d, %v", i, err)
				}
				big := bytes.Repeat([]byte("big"), 100_000)
				if i, err := l.Append(big); err != nil || i != 2 {
					t.Fatalf("Append(big) = %d, %v", i, err)
				}
				waitDurable(t, l, 2)
				last := appendRecs(t, l, 100)
				waitDurable(t, l, last)
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}

				l = e.open(t, Options{Sync: mode})
				if l.Durable() != last {
					t.Fatalf("after reopen Durable() = %d, want %d", l.Durable(), last)
				}
				got := replayAll(t, l, 0)
				if len(got) != int(last) || len(got[1]) != 0 || !bytes.Equal(got[2], big) {
					t.Fatalf("replayed %d records (want %d), first %q, second %d bytes", len(got), last, got[1], len(got[2]))
				}
				checkRecs(t, l, 2, last)
				checkRecs(t, l, 50, last)
				checkRecs(t, l, last, last)
				// Indexes continue after a restart.
				last = appendRecs(t, l, 10)
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
				l = e.open(t, Options{Sync: mode})
				checkRecs(t, l, 2, last)
				if logs := e.logs.take(); len(logs) != 0 {
					t.Errorf("clean restarts logged %q", logs)
				}
			})
		})
	}
}

func TestSegments(t *testing.T) {
	forEachFS(t, func(t *testing.T, e *env) {
		opts := Options{SegmentBytes: 200}
		l := e.open(t, opts)
		last := appendRecs(t, l, 60)
		waitDurable(t, l, last)
		// A record larger than a segment gets one of its own.
		big := bytes.Repeat([]byte{'x'}, 500)
		i, err := l.Append(big)
		if err != nil {
			t.Fatal(err)
		}
		waitDurable(t, l, i)
		l.Close()

		files := e.files(t)
		if len(files) < 10 {
			t.Fatalf("%d segment files, want many: %v", len(files), files)
		}
		for _, name := range files {
			if n := len(e.read(t, e.path(name))); n > 200 && n != segHeaderSize+recHeaderSize+500 {
				t.Errorf("segment %s has %d bytes, over SegmentBytes", name, n)
			}
		}
		l = e.open(t, opts)
		got := replayAll(t, l, 0)
		for j := uint64(1); j <= last; j++ {
			if !bytes.Equal(got[j], rec(j)) {
				t.Fatalf("record %d = %q", j, got[j])
			}
		}
		if !bytes.Equal(got[i], big) {
			t.Fatalf("record %d has %d bytes, want %d", i, len(got[i]), len(big))
		}
		// Indexes stay contiguous across segments and restarts.
		for range 3 {
			l.Close()
			l = e.open(t, opts)
			if l.Last() != i {
				t.Fatalf("Last() = %d after reopen, want %d", l.Last(), i)
			}
			i = appendRecs(t, l, 7)
			waitDurable(t, l, i)
		}
		got = replayAll(t, l, 0)
		if uint64(len(got)) != i || !bytes.Equal(got[last+1], big) {
			t.Fatalf("replayed %d records, want %d", len(got), i)
		}
	})
}

// gate blocks the fsyncs of MemFS when closed is false, telling entered
// when one starts.
type gate struct {
	entered chan string
	release chan struct{}
}

func newGate(m *MemFS) *gate {
	g := &gate{entered: make(chan string, 100), release: make(chan struct{})}
	m.SetBeforeSync(func(name string) {
		g.entered <- name
		<-g.release
	})
	return g
}

func TestGroupCommit(t *testing.T) {
	e := newMemEnv()
	m := e.fs.(*MemFS)
	l := e.open(t, Options{})
	g := newGate(m)
	defer close(g.release)
	before := m.SyncCount()

	if _, err := l.Append(rec(1)); err != nil {
		t.Fatal(err)
	}
	<-g.entered // the syncer is fsyncing record 1
	const n = 1000
	for i := uint64(2); i <= n; i++ {
		if _, err := l.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
	}
	g.release <- struct{}{} // record 1's fsync
	<-g.entered             // one fsync for records 2 to n
	g.release <- struct{}{}
	waitDurable(t, l, n)
	if got := m.SyncCount() - before; got != 2 {
		t.Fatalf("%d fsyncs for %d records appended during one fsync, want 2", got, n)
	}
	checkRecs(t, l, 0, n)
}

func TestSyncAlwaysNotDurableBeforeFsync(t *testing.T) {
	e := newMemEnv()
	m := e.fs.(*MemFS)
	l := e.open(t, Options{Sync: SyncAlways})
	g := newGate(m)
	defer close(g.release)
	seg := e.path(segName(1))

	for i := uint64(1); i <= 3; i++ {
		if _, err := l.Append(rec(i)); err != nil {
			t.Fatal(err)
		}
		<-g.entered
		// Written to the file but not fsynced: not durable.
		if got := m.readFile(t, seg); !bytes.Contains(got, rec(i)) {
			t.Fatalf("record %d not written before its fsync", i)
		}
		if d := l.Durable(); d != i-1 {
			t.Fatalf("Durable() = %d during the fsync of record %d", d, i)
		}
		select {
		case <-l.Notify():
			if d := l.Durable(); d != i-1 {
				t.Fatalf("notified with Durable() = %d before the fsync of record %d", d, i)
			}
		default:
		}
		g.release <- struct{}{}
		waitDurable(t, l, i)
	}
}

func TestSyncIntervalAndNever(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newMemEnv()
		m := e.fs.(*MemFS)
		const interval = time.Second
		l := e.open(t, Options{Sync: SyncInterval, Interval: interval})
		before := m.SyncCount()
		last := appendRecs(t, l, 10)
		synctest.Wait()
		// Durable once written, before any fsync.
		if l.Durable() != last || m.SyncCount() != before {
			t.Fatalf("Durable() = %d with %d fsyncs, want %d with none", l.Durable(), m.SyncCount()-before, last)
		}
		time.Sleep(interval)
		synctest.Wait()
		if got := m.SyncCount() - before; got != 1 {
			t.Fatalf("%d fsyncs after one interval, want 1", got)
		}
		// No fsync when nothing was written.
		time.Sleep(5 * interval)
		synctest.Wait()
		if got := m.SyncCount() - before; got != 1 {
			t.Fatalf("%d fsyncs after idle intervals, want 1", got)
		}
		// Close fsyncs what is left.
		appendRecs(t, l, 3)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if got := m.SyncCount() - before; got != 2 {
			t.Fatalf("%d fsyncs after Close, want 2", got)
		}

		l = e.open(t, Options{Sync: SyncNever})
		before = m.SyncCount()
		last = appendRecs(t, l, 10)
		synctest.Wait()
		time.Sleep(time.Hour)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if l.Durable() != last || m.SyncCount() != before {
			t.Fatalf("SyncNever: Durable() = %d with %d fsyncs, want %d with none", l.Durable(), m.SyncCount()-before, last)
		}
	})
}

func TestClose(t *testing.T) {
	forEachFS(t, func(t *testing.T, e *env) {
		l := e.open(t, Options{})
		last := appendRecs(t, l, 50) // Close must write and fsync them
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if l.Durable() != last {
			t.Fatalf("Durable() = %d after Close, want %d", l.Durable(), last)
		}
		if _, err := l.Append(nil); !errors.Is(err, ErrClosed) {
			t.Fatalf("Append after Close: %v", err)
		}
		if err := l.WriteSnapshot(1, nil); !errors.Is(err, ErrClosed) {
			t.Fatalf("WriteSnapshot after Close: %v", err)
		}
		if err := l.Replay(0, nil); !errors.Is(err, ErrClosed) {
			t.Fatalf("Replay after Close: %v", err)
		}
		if _, _, err := l.Snapshot(); !errors.Is(err, ErrClosed) {
			t.Fatalf("Snapshot after Close: %v", err)
		}
		if m, ok := e.fs.(*MemFS); ok {
			m.Crash(CrashDrop, nil) // Close fsynced everything
		}
		l = e.open(t, Options{})
		checkRecs(t, l, 0, last)
	})
}

func TestLocked(t *testing.T) {
	forEachFS(t, func(t *testing.T, e *env) {
		l := e.open(t, Options{})
		if _, err := e.tryOpen(Options{}); !errors.Is(err, ErrLocked) {
			t.Fatalf("second Open: %v, want ErrLocked", err)
		}
		l.Close()
		e.open(t, Options{})
	})
}

func TestOptions(t *testing.T) {
	for _, o := range []Options{
		{},
		{Dir: "x", Sync: SyncNever + 1},
		{Dir: "x", Sync: -1},
		{Dir: "x", Interval: -1},
		{Dir: "x", SegmentBytes: -1},
	} {
		if err := o.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", o)
		}
		if _, err := Open(o); err == nil {
			t.Errorf("Open(%+v) = nil error", o)
		}
	}
	for _, m := range []SyncMode{SyncAlways, SyncInterval, SyncNever} {
		if got, err := ParseSyncMode(m.String()); err != nil || got != m {
			t.Errorf("ParseSyncMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseSyncMode("sometimes"); err == nil {
		t.Error("ParseSyncMode(sometimes) = nil error")
	}
	e := newMemEnv()
	l := e.open(t, Options{})
	if _, err := l.Append(make([]byte, MaxRecord+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Append over MaxRecord: %v", err)
	}
}

// failAfter returns a fault hook that fails calls on segment files after
// the first n of them.
func failAfter(n int, fail func(p []byte) (int, error)) func(string, []byte) (int, error) {
	return func(name string, p []byte) (int, error) {
		if len(name) < len(segSuffix) || name[len(name)-len(segSuffix):] != segSuffix {
			return len(p), nil
		}
		if n--; n >= 0 {
			return len(p), nil
		}
		return fail(p)
	}
}

func TestDiskErrors(t *testing.T) {
	eio := syscall.EIO
	for _, tc := range []struct {
		name  string
		write func(p []byte) (int, error)
		sync  error
	}{
		{name: "fsync", sync: eio},
		{name: "write", write: func([]byte) (int, error) { return 0, eio }},
		{name: "short write error", write: func(p []byte) (int, error) { return len(p) / 2, eio }},
		{name: "short write", write: func(p []byte) (int, error) { return len(p) / 2, io.ErrShortWrite }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newMemEnv()
			m := e.fs.(*MemFS)
			l := e.open(t, Options{SegmentBytes: 300})
			good := appendRecs(t, l, 20)
			waitDurable(t, l, good)

			if tc.write != nil {
				m.SetFaults(failAfter(0, tc.write), nil)
			} else {
				m.SetFaults(nil, func(name string) error { return tc.sync })
			}
			// The first of these may fail the log before the others are
			// appended: an Append after the failure reports it.
			bad := good
			for range 5 {
				i, err := l.Append(rec(l.Last() + 1))
				if err != nil {
					if !errors.Is(err, ErrFailed) {
						t.Fatalf("Append: %v", err)
					}
					break
				}
				bad = i
			}
			deadline := time.NewTimer(10 * time.Second)
		wait:
			for l.Err() == nil {
				select {
				case <-l.Notify():
				case <-deadline.C:
					break wait
				}
			}
			deadline.Stop()
			err := l.Err()
			if !errors.Is(err, ErrFailed) || !errors.Is(err, eio) && !errors.Is(err, io.ErrShortWrite) {
				t.Fatalf("Err() = %v, want ErrFailed wrapping the cause", err)
			}
			m.SetFaults(nil, nil) // the disk recovers: the log stays failed
			if d := l.Durable(); d != good {
				t.Fatalf("Durable() = %d after the failure, want %d", d, good)
			}
			if _, err := l.Append(nil); !errors.Is(err, ErrFailed) {
				t.Fatalf("Append after the failure: %v", err)
			}
			if err := l.WriteSnapshot(good, nil); !errors.Is(err, ErrFailed) {
				t.Fatalf("WriteSnapshot after the failure: %v", err)
			}
			if d := l.Durable(); d != good {
				t.Fatalf("Durable() = %d later, want %d", d, good)
			}
			if err := l.Close(); !errors.Is(err, ErrFailed) {
				t.Fatalf("Close: %v, want the failure", err)
			}
			// A restart reads what is on disk: every durable record, and
			// perhaps some written before the failure.
			m.Crash(CrashDrop, nil)
			l = e.open(t, Options{SegmentBytes: 300})
			if l.Last() < good || l.Last() > bad {
				t.Fatalf("after restart Last() = %d, want %d to %d", l.Last(), good, bad)
			}
			checkRecs(t, l, 0, l.Last())
			last := appendRecs(t, l, 3)
			waitDurable(t, l, last)
			checkRecs(t, l, 0, last)
		})
	}
}

func TestRolloverFailure(t *testing.T) {
	e := newMemEnv()
	m := e.fs.(*MemFS)
	l := e.open(t, Options{SegmentBytes: 100})
	good := appendRecs(t, l, 2)
	waitDurable(t, l, good)
	// Creating the next segment fails.
	m.SetFaults(func(name string, p []byte) (int, error) {
		if string(p[:len(segMagic)]) == segMagic {
			return 0, syscall.ENOSPC
		}
		return len(p), nil
	}, nil)
	for range 10 {
		l.Append(rec(l.Last() + 1)) // fails once the log has
	}
	for l.Err() == nil {
		<-l.Notify()
	}
	if !errors.Is(l.Err(), syscall.ENOSPC) || l.Durable() < good {
		t.Fatalf("Err() = %v, Durable() = %d", l.Err(), l.Durable())
	}
	l.Close()
	m.SetFaults(nil, nil)
	m.Crash(CrashDrop, nil)
	l = e.open(t, Options{SegmentBytes: 100})
	checkRecs(t, l, 0, l.Last())
}

// TestCrash appends from a goroutine, crashes the file system at a random
// moment, and checks after each restart that every record reported
// durable survived and that the log holds exactly the records appended,
// in order, up to some index.
func TestCrash(t *testing.T) {
	rng := newRand(t)
	for _, mode := range []SyncMode{SyncAlways, SyncInterval} {
		t.Run(mode.String(), func(t *testing.T) {
			e := newMemEnv()
			m := e.fs.(*MemFS)
			opts := Options{Sync: mode, SegmentBytes: int64(100 + rng.IntN(400)), Interval: time.Millisecond}
			var last uint64
			for round := range 30 {
				l := e.open(t, opts)
				if l.Last() < last && mode == SyncAlways {
					t.Fatalf("round %d: Last() = %d after restart, but %d was durable", round, l.Last(), last)
				}
				snap, _, err := l.Snapshot()
				if err != nil {
					t.Fatal(err)
				}
				checkRecs(t, l, snap, l.Last())
				if round%7 == 6 && l.Last() > 0 { // sometimes compact
					if err := l.WriteSnapshot(l.Last(), []byte("state")); err != nil {
						t.Fatal(err)
					}
				}
				// The goroutine appends with up to 64 records in flight, the
				// way an owner holds replies, and crashes the file system
				// once Durable passed a random target.
				target := l.Durable() + uint64(1+rng.IntN(100))
				cm := CrashMode(rng.IntN(int(numCrashModes)))
				crashed := make(chan uint64)
				go func() {
					for {
						if d := l.Durable(); d >= target {
							// Under SyncAlways what Durable reports was
							// fsynced; under SyncInterval it was not, and
							// only the log's consistency is checked.
							m.Crash(cm, rng)
							crashed <- d
							return
						}
						if l.Last()-l.Durable() >= 64 || l.Err() != nil {
							<-l.Notify()
							continue
						}
						if _, err := l.Append(rec(l.Last() + 1)); err != nil {
							t.Error(err)
						}
					}
				}()
				last = <-crashed
				l.Close()
				e.logs.take()
			}
			l := e.open(t, opts)
			snap, _, err := l.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			checkRecs(t, l, snap, l.Last())
		})
	}
}

// TestConcurrent runs appenders, an owner waiting on Notify, snapshots
// and replays at once, for the race detector.
func TestConcurrent(t *testing.T) {
	forEachFS(t, func(t *testing.T, e *env) {
		l := e.open(t, Options{SegmentBytes: 1 << 10, Sync: SyncAlways})
		const appenders, each = 4, 200
		var wg sync.WaitGroup
		for range appenders {
			wg.Go(func() {
				for range each {
					if _, err := l.Append([]byte("concurrent")); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Go(func() {
			for l.Durable() < appenders*each {
				<-l.Notify()
			}
		})
		wg.Go(func() {
			for range 5 {
				if i := l.Last(); i > 0 {
					if err := l.WriteSnapshot(i, fmt.Appendf(nil, "state %d", i)); err != nil {
						t.Error(err)
					}
				}
				snap, data, err := l.Snapshot()
				if err != nil || (snap != 0 && string(data) != fmt.Sprintf("state %d", snap)) {
					t.Errorf("Snapshot() = %d, %q, %v", snap, data, err)
				}
				if err := l.Replay(snap, func(uint64, []byte) error { return nil }); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Wait()
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		l = e.open(t, Options{SegmentBytes: 1 << 10})
		snap, _, _ := l.Snapshot()
		if got := len(replayAll(t, l, snap)); uint64(got) != appenders*each-snap {
			t.Fatalf("replayed %d records after the snapshot at %d, want %d", got, snap, appenders*each-snap)
		}
	})
}

func TestReplayError(t *testing.T) {
	e := newMemEnv()
	l := e.open(t, Options{})
	waitDurable(t, l, appendRecs(t, l, 5))
	stop := errors.New("stop")
	n := 0
	err := l.Replay(0, func(uint64, []byte) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || n != 3 {
		t.Fatalf("Replay = %v after %d calls, want fn's error after 3", err, n)
	}
}
