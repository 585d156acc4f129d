package wal

import (
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"
	"testing"
)

// countFS is the real file system, counting file fsyncs.
type countFS struct {
	osFS
	syncs atomic.Int64
}

func (c *countFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := c.osFS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return countFile{f, &c.syncs}, nil
}

type countFile struct {
	File
	syncs *atomic.Int64
}

func (f countFile) Sync() error {
	f.syncs.Add(1)
	return f.File.Sync()
}

// BenchmarkAppendDurable measures an append plus the wait until it is
// durable, on the real disk: with one appender waiting for each record,
// and with 16 clients behind an owner goroutine that appends their
// requests and holds each reply until Durable reaches its record (the
// server's pattern). ns/op is per record; fsyncs/record shows group
// commit.
func BenchmarkAppendDurable(b *testing.B) {
	payload := make([]byte, 64)
	for _, mode := range []SyncMode{SyncAlways, SyncInterval, SyncNever} {
		for _, clients := range []int{1, 16} {
			b.Run(fmt.Sprintf("%v/clients=%d", mode, clients), func(b *testing.B) {
				cfs := &countFS{}
				l, err := Open(Options{Dir: b.TempDir(), Sync: mode, FS: cfs})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				start := cfs.syncs.Load()
				b.SetBytes(int64(len(payload)))
				b.ResetTimer()
				if clients == 1 {
					for range b.N {
						i, err := l.Append(payload)
						if err != nil {
							b.Fatal(err)
						}
						for l.Durable() < i {
							<-l.Notify()
						}
					}
				} else {
					runOwner(b, l, payload, clients)
				}
				b.StopTimer()
				b.ReportMetric(float64(cfs.syncs.Load()-start)/float64(b.N), "fsyncs/record")
			})
		}
	}
}

// runOwner runs b.N requests from clients goroutines through an owner
// goroutine that appends each and replies once it is durable.
func runOwner(b *testing.B, l *Log, payload []byte, clients int) {
	type request struct{ reply chan struct{} }
	type held struct {
		index uint64
		reply chan struct{}
	}
	reqs := make(chan request, clients)
	done, ownerDone := make(chan struct{}), make(chan struct{})
	go func() { // the owner
		defer close(ownerDone)
		var hold []held
		release := func() {
			d := l.Durable()
			n := 0
			for n < len(hold) && hold[n].index <= d {
				close(hold[n].reply)
				n++
			}
			hold = hold[:copy(hold, hold[n:])]
		}
		for {
			select {
			case r := <-reqs:
				i, err := l.Append(payload)
				if err != nil {
					b.Error(err)
					return
				}
				hold = append(hold, held{i, r.reply})
			case <-l.Notify():
				release()
			case <-done:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	var left atomic.Int64
	left.Store(int64(b.N))
	for range clients {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				r := request{make(chan struct{})}
				reqs <- r
				<-r.reply
			}
		})
	}
	wg.Wait()
	close(done)
	<-ownerDone
}
