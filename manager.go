package latchkey

import (
	"context"
	"io"
)

// Manager hands out named objects, like Python's multiprocessing Manager:
// every handle opened with the same name refers to the same object, which
// is created on first use with the parameters given. Opening a name that
// belongs to an object of another type, or with other parameters (a
// semaphore of another size, a queue of another order), returns
// [ErrMismatch]. Names are non-empty strings of at most 255 bytes.
//
// Each call returns a new handle. Handles are the owners of [RLock] and
// [RWLock] holds; a handle may be used by several goroutines.
//
// Every backend implements Manager: the in-process one (package local), the
// server's client (package client) and the cluster backend (package etcd).
// A backend that offers only some objects (package shm) implements the
// smaller interfaces Manager is made of, and callers detect them with a
// type assertion.
type Manager interface {
	Locks
	Signals
	Queues
	Containers
	Numbers
	io.Closer
}

// Locks opens locks and semaphores.
type Locks interface {
	// Lock opens the [Lock] called name.
	Lock(ctx context.Context, name string) (Lock, error)
	// RLock opens the [RLock] called name, returning a new owner handle.
	RLock(ctx context.Context, name string) (RLock, error)
	// RWLock opens the [RWLock] called name, returning a new owner handle.
	RWLock(ctx context.Context, name string) (RWLock, error)
	// Semaphore opens the unbounded [Semaphore] called name, with value
	// free permits when it is created (value ≥ 0, else ErrInvalid).
	Semaphore(ctx context.Context, name string, value int) (Semaphore, error)
	// BoundedSemaphore opens the bounded [Semaphore] called name, which
	// can never hold more than value permits. A name opened as a bounded
	// and as an unbounded semaphore is ErrMismatch.
	BoundedSemaphore(ctx context.Context, name string, value int) (Semaphore, error)
}

// Signals opens conditions, events and barriers.
type Signals interface {
	// Condition opens the [Condition] called name, bound to lock, which
	// must be a handle from the same manager (a [Lock] or an [RLock]); nil
	// binds it to a [Lock] of its own that every handle of the condition
	// shares. Opening it again with a handle of another lock is ErrMismatch.
	Condition(ctx context.Context, name string, lock Locker) (Condition, error)
	// Event opens the [Event] called name, initially clear.
	Event(ctx context.Context, name string) (Event, error)
	// Barrier opens the [Barrier] called name for parties parties (≥ 1,
	// else ErrInvalid). opts may be nil.
	Barrier(ctx context.Context, name string, parties int, opts *BarrierOptions) (Barrier, error)
}

// Queues opens queues.
type Queues interface {
	// Queue opens the [Queue] called name.
	Queue(ctx context.Context, name string, opts QueueOptions) (Queue, error)
	// SimpleQueue opens the [SimpleQueue] called name.
	SimpleQueue(ctx context.Context, name string) (SimpleQueue, error)
}

// Containers opens dicts, lists and namespaces.
type Containers interface {
	// Dict opens the [Dict] called name, initially empty.
	Dict(ctx context.Context, name string) (Dict, error)
	// List opens the [List] called name, initially empty.
	List(ctx context.Context, name string) (List, error)
	// Namespace opens the [Namespace] called name, initially empty.
	Namespace(ctx context.Context, name string) (Namespace, error)
}

// Numbers opens shared numbers and arrays.
type Numbers interface {
	// Value opens the integer [Value] called name, initially 0.
	Value(ctx context.Context, name string) (Value[int64], error)
	// FloatValue opens the floating-point [Value] called name, initially 0.
	FloatValue(ctx context.Context, name string) (Value[float64], error)
	// Array opens the integer [Array] called name, of length n (≥ 0, else
	// ErrInvalid).
	Array(ctx context.Context, name string, n int) (Array[int64], error)
	// FloatArray opens the floating-point [Array] called name, of length n.
	FloatArray(ctx context.Context, name string, n int) (Array[float64], error)
}

// MaxNameLen is the longest object name, in bytes.
const MaxNameLen = 255

// CheckName returns ErrInvalid (wrapped with the reason) if name is not a
// valid object name: empty, or longer than [MaxNameLen] bytes.
func CheckName(name string) error {
	switch {
	case name == "":
		return Errorf(KindInvalid, "latchkey: empty object name")
	case len(name) > MaxNameLen:
		return Errorf(KindInvalid, "latchkey: object name of %d bytes is longer than %d", len(name), MaxNameLen)
	}
	return nil
}
