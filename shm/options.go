package shm

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/latchkey/latchkey"
)

// Options chooses how a [Value] or an [Array] is synchronized: Python's
// lock argument of multiprocessing.Value and Array. A nil *Options is the
// zero Options: a lock attached to the object.
//
// The choice is part of the object's identity: opening a name with
// another choice (or another explicit lock) returns [latchkey.ErrMismatch].
type Options struct {
	// Raw, if set, gives the object no lock (Python's lock=False, and
	// RawValue and RawArray): every method is one atomic instruction on
	// one element, and LoadRange and StoreRange are not atomic as a
	// whole.
	Raw bool
	// Lock, if not nil, is the lock that every method takes, instead of a
	// lock attached to the object (Python's lock=obj). It must be a *Lock
	// or an *RLock of this package, so that every process can find it.
	Lock latchkey.Locker
}

// Lock modes, recorded in an object's parameters.
const (
	modeAttached = 0 // a Lock in the object's own body
	modeRaw      = 1 // no lock
	modeExternal = 2 // another object's lock, identified by a hash of its file and offset
)

// locking is how a Value or Array handle synchronizes: with its attached
// Lock, with an external lock, or not at all.
type locking struct {
	own *Lock           // the attached lock, or nil
	ext latchkey.Locker // the external lock, or nil
}

// lockParams returns the mode and lock identity that o records.
func lockParams(o *Options) (mode, id0, id1 uint64, err error) {
	switch {
	case o == nil || !o.Raw && o.Lock == nil:
		return modeAttached, 0, 0, nil
	case o.Raw && o.Lock != nil:
		return 0, 0, 0, latchkey.Errorf(latchkey.KindInvalid, "shm: options ask for no lock and a lock")
	case o.Raw:
		return modeRaw, 0, 0, nil
	}
	var c lockCore
	switch l := o.Lock.(type) {
	case *Lock:
		c = l.c
	case *RLock:
		c = l.c
	default:
		return 0, 0, 0, latchkey.Errorf(latchkey.KindInvalid, "shm: a %T cannot synchronize shared memory; use a *shm.Lock or *shm.RLock", o.Lock)
	}
	h := sha256.Sum256([]byte(c.r.path + "#" + strconv.FormatUint(uint64(c.off), 10)))
	return modeExternal, binary.LittleEndian.Uint64(h[:8]), binary.LittleEndian.Uint64(h[8:16]), nil
}

// newLocking returns the locking of an object of region r whose lock word
// (if attached) is at off.
func newLocking(r *region, off uintptr, o *Options) locking {
	switch {
	case o != nil && o.Raw:
		return locking{}
	case o != nil && o.Lock != nil:
		return locking{ext: o.Lock}
	}
	return locking{own: &Lock{c: lockCore{r, off}}}
}

// lock takes the lock. It returns nil or ErrOwnerDied with the lock held,
// any other error without it. It tries without waiting first, so that a
// done ctx fails only a call that would wait.
func (l locking) lock(ctx context.Context) error {
	var err error
	switch {
	case l.own != nil:
		if f, d, ok := l.own.c.tryFast(); ok {
			_, err = grant(f, d, nil)
			return err
		}
		if err = ctx.Err(); err != nil {
			return err
		}
		_, err = grant(l.own.c.lock(ctx))
	case l.ext != nil:
		if _, err = l.ext.TryLock(ctx); errors.Is(err, latchkey.ErrLocked) {
			_, err = l.ext.Lock(ctx)
		}
	}
	return err
}

// held reports whether lock's error says that the lock is held.
func held(err error) bool { return err == nil || errors.Is(err, latchkey.ErrOwnerDied) }

// unlock releases the lock taken by lock, and returns lock's error, or
// unlock's if lock's was nil.
func (l locking) unlock(ctx context.Context, lockErr error) error {
	var err error
	switch {
	case l.own != nil:
		err = l.own.c.unlock()
	case l.ext != nil:
		err = l.ext.Unlock(ctx)
	}
	if lockErr != nil {
		return lockErr
	}
	return err
}

// locker returns the lock, or nil.
func (l locking) locker() latchkey.Locker {
	if l.own != nil {
		return l.own
	}
	return l.ext
}
