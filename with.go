package latchkey

import (
	"context"
	"errors"
)

// With locks l, runs fn with the grant's fencing token and unlocks l: Go's
// form of Python's `with lock:`. It blocks like l.Lock and returns its
// error without running fn if the lock is not acquired. The unlock runs
// even if fn panics, with a context that ctx's cancellation does not reach
// (context.WithoutCancel), so a cancelled ctx never leaves the lock held.
// It returns fn's error joined with the unlock's.
//
// When l.Lock reports [ErrOwnerDied] (the previous holder died holding the
// lock), the lock is held all the same: With runs fn and unlocks as
// usual, and returns ErrOwnerDied joined with the other errors, so that a
// caller who must check or repair what a dead holder may have left half
// done learns of it.
func With(ctx context.Context, l Locker, fn func(Fence) error) (err error) {
	fence, err := l.Lock(ctx)
	died := errors.Is(err, ErrOwnerDied)
	if err != nil && !died {
		return err
	}
	defer func() {
		if uerr := l.Unlock(context.WithoutCancel(ctx)); uerr != nil {
			err = errors.Join(err, uerr)
		}
		if died {
			err = errors.Join(ErrOwnerDied, err)
		}
	}()
	return fn(fence)
}
