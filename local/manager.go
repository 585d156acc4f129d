package local

import (
	"context"
	"sync"

	"github.com/latchkey/latchkey"
)

// Manager hands out named in-process objects: the in-process backend of
// [latchkey.Manager]. Every handle opened with the same name refers to the
// same object, created on first use with the parameters given; a name
// opened as another type or with other parameters is
// [latchkey.ErrMismatch].
//
// Handles of owner-based objects (RLock, RWLock, Condition, Barrier) are
// new owners on every call, as with every backend. Lock, Semaphore, Event,
// queues and shared state have no owner: every call returns the same
// object.
//
// A Manager is safe for concurrent use. Close makes later opens fail with
// [latchkey.ErrClosed]; handles already opened keep working, since an
// in-process object has no connection to lose.
type Manager struct {
	mu      sync.Mutex // guards objects and closed
	objects map[string]*object
	closed  bool
}

var (
	_ latchkey.Manager = (*Manager)(nil)
	_ interface {
		Waiters(ctx context.Context, name string) (int, error)
	} = (*Manager)(nil)
)

// object is one named object: its type, its creation parameters and the
// object itself.
type object struct {
	kind   string
	params any
	v      waiterCounter
}

type waiterCounter interface{ Waiters() int }

// NewManager returns a manager with no objects.
func NewManager() *Manager {
	return &Manager{objects: make(map[string]*object)}
}

// open returns the object called name, creating it with create if it does
// not exist. It fails with ErrMismatch if the name belongs to another kind
// or was created with other params.
func (m *Manager) open(name, kind string, params any, create func() (waiterCounter, error)) (waiterCounter, error) {
	if err := latchkey.CheckName(name); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, latchkey.ErrClosed
	}
	if o, ok := m.objects[name]; ok {
		if o.kind != kind {
			return nil, latchkey.Errorf(latchkey.KindMismatch, "local: %q is a %s, not a %s", name, o.kind, kind)
		}
		if o.params != params {
			return nil, latchkey.Errorf(latchkey.KindMismatch, "local: %s %q exists with parameters %v, not %v", kind, name, o.params, params)
		}
		return o.v, nil
	}
	v, err := create()
	if err != nil {
		return nil, err
	}
	m.objects[name] = &object{kind: kind, params: params, v: v}
	return v, nil
}

// Waiters returns the number of calls blocked on the object called name,
// or ErrNotFound if there is none.
func (m *Manager) Waiters(_ context.Context, name string) (int, error) {
	m.mu.Lock()
	o, ok := m.objects[name]
	m.mu.Unlock()
	if !ok {
		return 0, latchkey.Errorf(latchkey.KindNotFound, "local: no object %q", name)
	}
	return o.v.Waiters(), nil
}

// Close makes later opens fail with ErrClosed. It is idempotent.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	return nil
}

// typed opens name as a T, the concrete type kind stands for.
func typed[T waiterCounter](m *Manager, name, kind string, params any, create func() (T, error)) (T, error) {
	v, err := m.open(name, kind, params, func() (waiterCounter, error) { return create() })
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}

func fresh[T any]() (*T, error) { return new(T), nil }

// as converts a concrete handle to the interface I, keeping a nil
// interface (not a typed nil) on error.
func as[I, T any](v T, err error) (I, error) {
	if err != nil {
		var zero I
		return zero, err
	}
	return any(v).(I), nil
}

// Lock opens the Lock called name; every call returns the same *Lock.
func (m *Manager) Lock(_ context.Context, name string) (latchkey.Lock, error) {
	return as[latchkey.Lock](typed(m, name, "lock", nil, fresh[Lock]))
}

// RLock opens the RLock called name and returns a new owner handle.
func (m *Manager) RLock(_ context.Context, name string) (latchkey.RLock, error) {
	r, err := typed(m, name, "rlock", nil, fresh[RLock])
	if err != nil {
		return nil, err
	}
	return r.Handle(), nil
}

// RWLock opens the RWLock called name and returns a new owner handle.
func (m *Manager) RWLock(_ context.Context, name string) (latchkey.RWLock, error) {
	rw, err := typed(m, name, "rwlock", nil, fresh[RWLock])
	if err != nil {
		return nil, err
	}
	return rw.Handle(), nil
}

// Semaphore opens the unbounded Semaphore called name.
func (m *Manager) Semaphore(_ context.Context, name string, value int) (latchkey.Semaphore, error) {
	return as[latchkey.Semaphore](typed(m, name, "semaphore", value, func() (*Semaphore, error) { return NewSemaphore(value) }))
}

// BoundedSemaphore opens the bounded Semaphore called name.
func (m *Manager) BoundedSemaphore(_ context.Context, name string, value int) (latchkey.Semaphore, error) {
	return as[latchkey.Semaphore](typed(m, name, "bounded semaphore", value, func() (*Semaphore, error) { return NewBoundedSemaphore(value) }))
}

// Condition opens the Condition called name, bound to lock (a *Lock or
// *RLock of this package, or nil for a Lock of the condition's own).
func (m *Manager) Condition(_ context.Context, name string, lock latchkey.Locker) (latchkey.Condition, error) {
	c, err := typed(m, name, "condition", nil, func() (*Condition, error) { return NewCondition(lock) })
	if err != nil {
		return nil, err
	}
	return as[latchkey.Condition](c.Handle(lock))
}

// Event opens the Event called name.
func (m *Manager) Event(_ context.Context, name string) (latchkey.Event, error) {
	return as[latchkey.Event](typed(m, name, "event", nil, fresh[Event]))
}

// Barrier opens the Barrier called name and returns a new handle with
// opts.
func (m *Manager) Barrier(_ context.Context, name string, parties int, opts *latchkey.BarrierOptions) (latchkey.Barrier, error) {
	b, err := typed(m, name, "barrier", parties, func() (*Barrier, error) { return NewBarrier(parties, nil) })
	if err != nil {
		return nil, err
	}
	return b.Handle(opts), nil
}

// Queue opens the Queue called name.
func (m *Manager) Queue(_ context.Context, name string, opts latchkey.QueueOptions) (latchkey.Queue, error) {
	if opts.MaxSize < 0 {
		opts.MaxSize = 0
	}
	return as[latchkey.Queue](typed(m, name, "queue", opts, func() (*Queue, error) { return NewQueue(opts) }))
}

// SimpleQueue opens the SimpleQueue called name.
func (m *Manager) SimpleQueue(_ context.Context, name string) (latchkey.SimpleQueue, error) {
	return as[latchkey.SimpleQueue](typed(m, name, "simple queue", nil, fresh[SimpleQueue]))
}

// Dict opens the Dict called name.
func (m *Manager) Dict(_ context.Context, name string) (latchkey.Dict, error) {
	return as[latchkey.Dict](typed(m, name, "dict", nil, fresh[Dict]))
}

// List opens the List called name.
func (m *Manager) List(_ context.Context, name string) (latchkey.List, error) {
	return as[latchkey.List](typed(m, name, "list", nil, fresh[List]))
}

// Namespace opens the Namespace called name.
func (m *Manager) Namespace(_ context.Context, name string) (latchkey.Namespace, error) {
	return as[latchkey.Namespace](typed(m, name, "namespace", nil, fresh[Namespace]))
}

// Value opens the integer Value called name.
func (m *Manager) Value(_ context.Context, name string) (latchkey.Value[int64], error) {
	return as[latchkey.Value[int64]](typed(m, name, "value", nil, fresh[Value[int64]]))
}

// FloatValue opens the floating-point Value called name.
func (m *Manager) FloatValue(_ context.Context, name string) (latchkey.Value[float64], error) {
	return as[latchkey.Value[float64]](typed(m, name, "float value", nil, fresh[Value[float64]]))
}

// Array opens the integer Array called name, of length n.
func (m *Manager) Array(_ context.Context, name string, n int) (latchkey.Array[int64], error) {
	return as[latchkey.Array[int64]](typed(m, name, "array", n, func() (*Array[int64], error) { return NewArray[int64](n) }))
}

// FloatArray opens the floating-point Array called name, of length n.
func (m *Manager) FloatArray(_ context.Context, name string, n int) (latchkey.Array[float64], error) {
	return as[latchkey.Array[float64]](typed(m, name, "float array", n, func() (*Array[float64], error) { return NewArray[float64](n) }))
}
