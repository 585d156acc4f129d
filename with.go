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
func With(ctx context.Context, l Locker, fn func(Fence) error) (err error) {
	fence, err := l.Lock(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if uerr := l.Unlock(context.WithoutCancel(ctx)); uerr != nil {
			err = errors.Join(err, uerr)
		}
	}()
	return fn(fence)
}
