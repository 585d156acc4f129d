// Package children holds what the example programs share for running
// child processes and waiting: starting a group of proc.Processes, joining
// them so that none outlives the parent's run, and a cancellable pause.
package children

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/latchkey/latchkey/proc"
)

// Pause waits for d or until ctx is done, and returns ctx's error in the
// second case (and at once for d ≤ 0 if ctx is already done).
func Pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// StartAll starts the processes in order. If one fails to start, it
// terminates the ones already started and waits for them.
func StartAll[A, R any](ctx context.Context, ps ...*proc.Process[A, R]) error {
	for i, p := range ps {
		if err := p.Start(ctx); err != nil {
			for _, q := range ps[:i] {
				q.Terminate()
			}
			for _, q := range ps[:i] {
				<-q.Done()
			}
			return fmt.Errorf("starting %s: %w", p.Name(), err)
		}
	}
	return nil
}

// JoinAll waits for every process to exit and returns the errors of those
// that failed, with ctx's error if ctx ended. When ctx ends, or a process
// fails (the others might wait for it for ever), it terminates the
// processes still running (Python's terminate) and waits for them: no
// child outlives JoinAll.
func JoinAll[A, R any](ctx context.Context, ps ...*proc.Process[A, R]) error {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(ps)+1)
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() {
			select {
			case <-p.Done():
			case <-ctx.Done():
				p.Terminate()
				<-p.Done()
				return
			}
			if _, err := p.Result(); err != nil {
				errs[i] = fmt.Errorf("%s: %w", p.Name(), err)
				cancel()
			}
		})
	}
	wg.Wait()
	errs[len(ps)] = parent.Err()
	return errors.Join(errs...)
}
