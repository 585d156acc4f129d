package local_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/local"
)

// The tests in this file port test_queue.py's test_shutdown_* (Python
// 3.13), for every order.

func TestQueueShutdownEmpty(t *testing.T) {
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		ctx := t.Context()
		q := newTestQueue(t, order, 0)
		if err := q.Shutdown(ctx, false); err != nil {
			t.Fatal(err)
		}
		queueWantErr(t, "Put", q.Put(ctx, []byte("data")), latchkey.ErrShutDown)
		_, err := q.Get(ctx)
		queueWantErr(t, "Get", err, latchkey.ErrShutDown)
	})
}

func TestQueueShutdownNonempty(t *testing.T) {
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		ctx := t.Context()
		q := newTestQueue(t, order, 0)
		queuePut(t, q, "data")
		if err := q.Shutdown(ctx, false); err != nil {
			t.Fatal(err)
		}
		if got := queueGet(t, q); got != "data" {
			t.Fatalf("Get = %q, want \"data\"", got)
		}
		_, err := q.Get(ctx)
		queueWantErr(t, "second Get", err, latchkey.ErrShutDown)
	})
}

func TestQueueShutdownImmediate(t *testing.T) {
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		ctx := t.Context()
		q := newTestQueue(t, order, 0)
		queuePut(t, q, "data")
		if err := q.Shutdown(ctx, true); err != nil {
			t.Fatal(err)
		}
		_, err := q.Get(ctx)
		queueWantErr(t, "Get", err, latchkey.ErrShutDown)
		if queueLen(t, q) != 0 || queueUnfinished(t, q) != 0 {
			t.Fatalf("Len() = %d, Unfinished() = %d, want 0, 0", queueLen(t, q), queueUnfinished(t, q))
		}
	})
}

func TestQueueShutdownAllowedTransitions(t *testing.T) {
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		ctx := t.Context()
		q := newTestQueue(t, order, 0)
		if err := q.TryPut(ctx, []byte("x")); err != nil {
			t.Fatalf("TryPut before Shutdown: %v", err)
		}
		for _, immediate := range []bool{false, true, false, true} {
			if err := q.Shutdown(ctx, immediate); err != nil {
				t.Fatalf("Shutdown(%v): %v", immediate, err)
			}
			queueWantErr(t, "TryPut after Shutdown", q.TryPut(ctx, []byte("x")), latchkey.ErrShutDown)
		}
	})
}

func TestQueueShutdownAllMethodsInOneGoroutine(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		t.Run(fmt.Sprintf("immediate=%v", immediate), func(t *testing.T) {
			forEachOrder(t, func(t *testing.T, order latchkey.Order) {
				ctx := t.Context()
				q := newTestQueue(t, order, 2)
				queuePut(t, q, "L")
				if err := q.TryPut(ctx, []byte("O")); err != nil {
					t.Fatal(err)
				}
				if err := q.Shutdown(ctx, immediate); err != nil {
					t.Fatal(err)
				}
				queueWantErr(t, "Put", q.Put(ctx, []byte("E")), latchkey.ErrShutDown)
				queueWantErr(t, "TryPut", q.TryPut(ctx, []byte("W")), latchkey.ErrShutDown)
				if immediate {
					_, err := q.Get(ctx)
					queueWantErr(t, "Get", err, latchkey.ErrShutDown)
					_, err = q.TryGet(ctx)
					queueWantErr(t, "TryGet", err, latchkey.ErrShutDown)
					queueWantErr(t, "TaskDone", q.TaskDone(ctx), latchkey.ErrTaskDone)
					if err := q.Join(ctx); err != nil {
						t.Fatalf("Join: %v", err)
					}
					return
				}
				got := []string{queueGet(t, q)}
				if err := q.TaskDone(ctx); err != nil {
					t.Fatal(err)
				}
				got = append(got, queueGet(t, q))
				if err := q.TaskDone(ctx); err != nil {
					t.Fatal(err)
				}
				if slices.Sort(got); !slices.Equal(got, []string{"L", "O"}) {
					t.Fatalf("got %q, want L and O", got)
				}
				if err := q.Join(ctx); err != nil {
					t.Fatalf("Join: %v", err)
				}
				_, err := q.Get(ctx)
				queueWantErr(t, "Get", err, latchkey.ErrShutDown)
				_, err = q.TryGet(ctx)
				queueWantErr(t, "TryGet", err, latchkey.ErrShutDown)
				tctx, cancel := context.WithTimeout(ctx, time.Second)
				_, err = q.Get(tctx)
				cancel()
				queueWantErr(t, "timed Get", err, latchkey.ErrShutDown)
			})
		})
	}
}

// TestQueueShutdownAllMethodsInManyGoroutines ports
// test_shutdown_all_methods_in_many_threads and its immediate variant:
// writers, readers (and joiners) race with a Shutdown triggered midway.
func TestQueueShutdownAllMethodsInManyGoroutines(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		t.Run(fmt.Sprintf("immediate=%v", immediate), func(t *testing.T) {
			forEachOrder(t, func(t *testing.T, order latchkey.Order) {
				queueShutdownManyGoroutines(t, newTestQueue(t, order, 0), immediate)
			})
		})
	}
}

func queueShutdownManyGoroutines(t *testing.T, q *local.Queue, immediate bool) {
	const (
		writers, readers, joiners = 4, 6, 2
		msgs                      = 2048
		perWriter                 = msgs / writers
		when                      = perWriter / 2 // the message that triggers Shutdown
	)
	ctx := t.Context()
	var (
		ready         sync.WaitGroup // the barrier: everyone did its first part
		start         = make(chan struct{})
		trigger       sync.Once
		shutdownDone  = make(chan struct{})
		putsShutDown  atomic.Int32 // writers that saw ErrShutDown
		readsShutDown atomic.Int32 // readers that saw ErrShutDown
		emptyAfter    atomic.Bool  // Len() == 0 right after Shutdown
		wg            sync.WaitGroup
	)
	parties := writers + readers
	if immediate {
		parties += joiners
	}
	ready.Add(parties)
	for w := range writers {
		wg.Go(func() {
			for i := range when / 2 {
				if err := q.Put(ctx, fmt.Appendf(nil, "%d LOYD %d", w, i)); err != nil {
					t.Errorf("Put before the barrier: %v", err)
				}
			}
			ready.Done()
			<-start
			for i := when / 2; i < perWriter; i++ {
				err := q.Put(ctx, fmt.Appendf(nil, "%d YDLO %d", w, i))
				if errors.Is(err, latchkey.ErrShutDown) {
					putsShutDown.Add(1)
					return
				} else if err != nil {
					t.Errorf("Put: %v", err)
					return
				}
				if i == when {
					trigger.Do(func() { // this writer's next Put fails
						defer close(shutdownDone)
						if err := q.Shutdown(ctx, immediate); err != nil {
							t.Errorf("Shutdown: %v", err)
						}
						n, _ := q.Len(ctx)
						emptyAfter.Store(n == 0)
					})
				}
			}
		})
	}
	for range readers {
		wg.Go(func() {
			if _, err := q.Get(ctx); err != nil {
				t.Errorf("first Get: %v", err)
			}
			if err := q.TaskDone(ctx); err != nil {
				t.Errorf("TaskDone: %v", err)
			}
			ready.Done()
			<-start
			for {
				_, err := q.Get(ctx)
				if errors.Is(err, latchkey.ErrShutDown) {
					readsShutDown.Add(1)
					return
				} else if err != nil {
					t.Errorf("Get: %v", err)
					return
				}
				if err := q.TaskDone(ctx); err != nil {
					t.Errorf("TaskDone: %v", err)
				}
			}
		})
	}
	if immediate {
		for range joiners {
			wg.Go(func() {
				ready.Done()
				<-start
				if err := q.Join(ctx); err != nil {
					t.Errorf("Join: %v", err)
				}
			})
		}
	}
	ready.Wait()
	close(start)
	wg.Wait()
	<-shutdownDone

	if putsShutDown.Load() == 0 {
		t.Error("no writer saw ErrShutDown")
	}
	if n := readsShutDown.Load(); n != readers {
		t.Errorf("%d readers saw ErrShutDown, want %d", n, readers)
	}
	if immediate && !emptyAfter.Load() {
		t.Error("queue not empty right after an immediate Shutdown")
	}
	if queueLen(t, q) != 0 || queueUnfinished(t, q) != 0 || q.Waiters() != 0 {
		t.Errorf("Len() = %d, Unfinished() = %d, Waiters() = %d at the end, want 0, 0, 0",
			queueLen(t, q), queueUnfinished(t, q), q.Waiters())
	}
}

// TestQueueShutdownGet ports test_shutdown_get and
// test_shutdown_immediate_get: on a full queue of two items, of three
// getters arriving after Shutdown one fails; after an immediate Shutdown
// both getters fail.
func TestQueueShutdownGet(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		t.Run(fmt.Sprintf("immediate=%v", immediate), func(t *testing.T) {
			forEachOrder(t, func(t *testing.T, order latchkey.Order) {
				synctest.Test(t, func(t *testing.T) {
					ctx := t.Context()
					q := newTestQueue(t, order, 2)
					queuePut(t, q, "Y")
					queuePut(t, q, "D")
					getters := 3
					if immediate {
						getters = 2
					}
					goCh := make(chan struct{})
					var results []<-chan queueResult
					for range getters {
						results = append(results, queueAsync(func() ([]byte, error) {
							<-goCh
							return q.Get(ctx)
						}))
					}
					if err := q.Shutdown(ctx, immediate); err != nil {
						t.Fatal(err)
					}
					close(goCh)
					var got []string
					shutDown := 0
					for _, r := range results {
						switch r := <-r; {
						case r.err == nil:
							got = append(got, string(r.v))
						case errors.Is(r.err, latchkey.ErrShutDown):
							shutDown++
						default:
							t.Fatalf("Get: %v", r.err)
						}
					}
					wantGot, wantShutDown := []string{"D", "Y"}, 1
					if immediate {
						wantGot, wantShutDown = nil, 2
					}
					if slices.Sort(got); !slices.Equal(got, wantGot) || shutDown != wantShutDown {
						t.Fatalf("got %q and %d ErrShutDown, want %q and %d", got, shutDown, wantGot, wantShutDown)
					}
				})
			})
		})
	}
}

// TestQueueShutdownPut ports test_shutdown_put and
// test_shutdown_immediate_put (late putters on a full queue fail), and
// checks that putters blocked on the full queue are woken with
// ErrShutDown and that their items are not put.
func TestQueueShutdownPut(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		t.Run(fmt.Sprintf("immediate=%v", immediate), func(t *testing.T) {
			forEachOrder(t, func(t *testing.T, order latchkey.Order) {
				synctest.Test(t, func(t *testing.T) {
					ctx := t.Context()
					q := newTestQueue(t, order, 2)
					queuePut(t, q, "Y")
					queuePut(t, q, "D")
					blocked := []<-chan queueResult{
						queueAsync(func() ([]byte, error) { return nil, q.Put(ctx, []byte("E")) }),
						queueAsync(func() ([]byte, error) { return nil, q.Put(ctx, []byte("W")) }),
					}
					queueBlocked(t, q, 2, blocked...)
					goCh := make(chan struct{})
					late := []<-chan queueResult{
						queueAsync(func() ([]byte, error) { <-goCh; return nil, q.Put(ctx, []byte("L")) }),
						queueAsync(func() ([]byte, error) { <-goCh; return nil, q.TryPut(ctx, []byte("O")) }),
					}
					if err := q.Shutdown(ctx, immediate); err != nil {
						t.Fatal(err)
					}
					close(goCh)
					for _, r := range append(blocked, late...) {
						queueWantErr(t, "Put", (<-r).err, latchkey.ErrShutDown)
					}
					wantLen := 2
					if immediate {
						wantLen = 0
					}
					if queueLen(t, q) != wantLen || queueUnfinished(t, q) != wantLen || q.Waiters() != 0 {
						t.Fatalf("Len() = %d, Unfinished() = %d, Waiters() = %d, want %d, %d, 0",
							queueLen(t, q), queueUnfinished(t, q), q.Waiters(), wantLen, wantLen)
					}
				})
			})
		})
	}
}

// TestQueueShutdownJoin ports test_shutdown_join and
// test_shutdown_immediate_join: two joiners wait on one item; they return
// after a get and TaskDone, or after an immediate Shutdown alone.
func TestQueueShutdownJoin(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		t.Run(fmt.Sprintf("immediate=%v", immediate), func(t *testing.T) {
			forEachOrder(t, func(t *testing.T, order latchkey.Order) {
				synctest.Test(t, func(t *testing.T) {
					ctx := t.Context()
					q := newTestQueue(t, order, 0)
					queuePut(t, q, "Y")
					joins := []<-chan queueResult{
						queueAsync(func() ([]byte, error) { return nil, q.Join(ctx) }),
						queueAsync(func() ([]byte, error) { return nil, q.Join(ctx) }),
					}
					queueBlocked(t, q, 2, joins...)
					if err := q.Shutdown(ctx, immediate); err != nil {
						t.Fatal(err)
					}
					if !immediate {
						queueBlocked(t, q, 2, joins...)
						if got := queueGet(t, q); got != "Y" {
							t.Fatalf("Get = %q, want \"Y\"", got)
						}
						queueBlocked(t, q, 2, joins...)
						if err := q.TaskDone(ctx); err != nil {
							t.Fatal(err)
						}
					}
					for _, j := range joins {
						if r := <-j; r.err != nil {
							t.Fatalf("Join: %v", r.err)
						}
					}
				})
			})
		})
	}
}

// TestQueueShutdownImmediateJoinWaitsForTaken checks that an immediate
// Shutdown counts only the discarded items done: a Join still waits for
// the items taken before it.
func TestQueueShutdownImmediateJoinWaitsForTaken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		q := newTestQueue(t, latchkey.FIFO, 0)
		queuePut(t, q, "taken")
		queuePut(t, q, "discarded")
		queueGet(t, q)
		j := queueAsync(func() ([]byte, error) { return nil, q.Join(ctx) })
		queueBlocked(t, q, 1, j)
		if err := q.Shutdown(ctx, true); err != nil {
			t.Fatal(err)
		}
		queueBlocked(t, q, 1, j)
		if n := queueUnfinished(t, q); n != 1 {
			t.Fatalf("Unfinished() = %d, want 1", n)
		}
		if err := q.TaskDone(ctx); err != nil {
			t.Fatal(err)
		}
		if r := <-j; r.err != nil {
			t.Fatalf("Join: %v", r.err)
		}
	})
}

// TestQueueShutdownPutJoin ports test_shutdown_put_join and
// test_shutdown_immediate_put_join.
func TestQueueShutdownPutJoin(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		t.Run(fmt.Sprintf("immediate=%v", immediate), func(t *testing.T) {
			forEachOrder(t, func(t *testing.T, order latchkey.Order) {
				synctest.Test(t, func(t *testing.T) {
					ctx := t.Context()
					q := newTestQueue(t, order, 2)
					queuePut(t, q, "Y")
					goCh := make(chan struct{})
					put := queueAsync(func() ([]byte, error) { <-goCh; return nil, q.Put(ctx, []byte("E")) })
					join := queueAsync(func() ([]byte, error) { return nil, q.Join(ctx) })
					queueBlocked(t, q, 1, put, join)
					if n := queueUnfinished(t, q); n != 1 {
						t.Fatalf("Unfinished() = %d, want 1", n)
					}
					if err := q.Shutdown(ctx, immediate); err != nil {
						t.Fatal(err)
					}
					close(goCh)
					if immediate {
						_, err := q.TryGet(ctx)
						queueWantErr(t, "TryGet", err, latchkey.ErrShutDown)
					} else {
						if got := queueGet(t, q); got != "Y" {
							t.Fatalf("Get = %q, want \"Y\"", got)
						}
						if err := q.TaskDone(ctx); err != nil {
							t.Fatal(err)
						}
					}
					queueWantErr(t, "Put", (<-put).err, latchkey.ErrShutDown)
					if r := <-join; r.err != nil {
						t.Fatalf("Join: %v", r.err)
					}
				})
			})
		})
	}
}

// TestQueueShutdownGetTaskDoneJoin ports test_shutdown_get_task_done_join.
func TestQueueShutdownGetTaskDoneJoin(t *testing.T) {
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		synctest.Test(t, func(t *testing.T) {
			ctx := t.Context()
			q := newTestQueue(t, order, 2)
			queuePut(t, q, "Y")
			queuePut(t, q, "D")
			if n := queueUnfinished(t, q); n != 2 {
				t.Fatalf("Unfinished() = %d, want 2", n)
			}
			goCh := make(chan struct{})
			var calls []<-chan queueResult
			for range 2 {
				calls = append(calls, queueAsync(func() ([]byte, error) {
					<-goCh
					v, err := q.Get(ctx)
					if err != nil {
						return nil, err
					}
					return v, q.TaskDone(ctx)
				}))
			}
			for range 2 {
				calls = append(calls, queueAsync(func() ([]byte, error) { return nil, q.Join(ctx) }))
			}
			queueBlocked(t, q, 2, calls...)
			if err := q.Shutdown(ctx, false); err != nil {
				t.Fatal(err)
			}
			close(goCh)
			for _, c := range calls {
				if r := <-c; r.err != nil {
					t.Fatalf("call: %v", r.err)
				}
			}
		})
	})
}

// TestQueueShutdownPendingGet ports test_shutdown_pending_get: a Get
// blocked on the empty queue is woken by Shutdown with ErrShutDown.
func TestQueueShutdownPendingGet(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		t.Run(fmt.Sprintf("immediate=%v", immediate), func(t *testing.T) {
			forEachOrder(t, func(t *testing.T, order latchkey.Order) {
				synctest.Test(t, func(t *testing.T) {
					ctx := t.Context()
					q := newTestQueue(t, order, 0)
					g := queueAsync(func() ([]byte, error) { return q.Get(ctx) })
					queueBlocked(t, q, 1, g)
					if err := q.Shutdown(ctx, immediate); err != nil {
						t.Fatal(err)
					}
					queueWantErr(t, "pending Get", (<-g).err, latchkey.ErrShutDown)
					if q.Waiters() != 0 {
						t.Fatalf("Waiters() = %d, want 0", q.Waiters())
					}
				})
			})
		})
	}
}

// TestQueueShutdownCancelRace races Shutdown(immediate) with the cancel of
// getters that were just handed items: the items given back are discarded
// and counted done, as Shutdown would have done to them. It also races
// Shutdown's wake-up of a Get and a Put with their cancel.
func TestQueueShutdownCancelRace(t *testing.T) {
	forEachOrder(t, func(t *testing.T, order latchkey.Order) {
		synctest.Test(t, func(t *testing.T) {
			for range 100 {
				q := newTestQueue(t, order, 0)
				ctx, cancel := context.WithCancel(t.Context())
				g := queueAsync(func() ([]byte, error) { return q.Get(ctx) })
				queueBlocked(t, q, 1, g)
				cancel()
				queuePut(t, q, "A")
				queuePut(t, q, "B")
				if err := q.Shutdown(t.Context(), true); err != nil {
					t.Fatal(err)
				}
				r := <-g
				want := 0
				if r.err == nil {
					want = 1 // the Get took A, which is not done yet
				} else if !errors.Is(r.err, context.Canceled) {
					t.Fatalf("Get: %v", r.err)
				}
				if queueLen(t, q) != 0 || queueUnfinished(t, q) != want || q.Waiters() != 0 {
					t.Fatalf("Len() = %d, Unfinished() = %d, Waiters() = %d, want 0, %d, 0",
						queueLen(t, q), queueUnfinished(t, q), q.Waiters(), want)
				}

				// A Get and a Put woken by Shutdown as their ctx ends.
				q = newTestQueue(t, order, 1)
				q2 := newTestQueue(t, order, 1)
				queuePut(t, q2, "X")
				ctx, cancel = context.WithCancel(t.Context())
				g = queueAsync(func() ([]byte, error) { return q.Get(ctx) })
				p := queueAsync(func() ([]byte, error) { return nil, q2.Put(ctx, []byte("Y")) })
				queueBlocked(t, q, 1, g)
				queueBlocked(t, q2, 1, p)
				cancel()
				q.Shutdown(t.Context(), false)
				q2.Shutdown(t.Context(), false)
				for _, c := range []<-chan queueResult{g, p} {
					if r := <-c; !errors.Is(r.err, latchkey.ErrShutDown) && !errors.Is(r.err, context.Canceled) {
						t.Fatalf("call: %v, want ErrShutDown or Canceled", r.err)
					}
				}
				if queueLen(t, q2) != 1 || queueUnfinished(t, q2) != 1 || q.Waiters()+q2.Waiters() != 0 {
					t.Fatal("a call woken by Shutdown and cancelled changed the queue")
				}
			}
		})
	})
}
