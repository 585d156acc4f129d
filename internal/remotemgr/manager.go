package remotemgr

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/latchkey/latchkey"
)

// Manager is a latchkey.Manager whose handles live in a pool's children.
// It also implements the conformance suite's Waiters, answered by the
// first child.
type Manager struct {
	p    *Pool
	id   uint64
	next atomic.Uint64 // the child the next open goes to

	mu    sync.Mutex
	funcs []uint64 // functions registered for this manager's calls
}

var _ latchkey.Manager = (*Manager)(nil)

// Manager opens a manager for spec in every child (Serve's open function
// gets spec) and returns the parent's side of them.
func (p *Pool) Manager(ctx context.Context, spec string) (*Manager, error) {
	m := &Manager{p: p, id: p.nextID.Add(1)}
	for _, c := range p.children {
		if _, err := c.call(ctx, 0, m.id, "open", []arg{{Val: spec}}); err != nil {
			m.Close()
			return nil, err
		}
	}
	return m, nil
}

// handle is the parent's side of one handle.
type handle struct {
	m  *Manager
	c  *child
	id uint64
}

// ref returns the handle; every proxy type has it.
func (h *handle) ref() *handle { return h }

// proxy is a proxy handle.
type proxy interface{ ref() *handle }

// args converts a call's arguments for child c.
func (m *Manager) args(c *child, vs []any) ([]arg, error) {
	out := make([]arg, len(vs))
	for i, v := range vs {
		switch v := v.(type) {
		case proxy:
			if v.ref().c != c {
				return nil, errors.New("remotemgr: a handle of another process cannot be passed")
			}
			out[i] = arg{Obj: v.ref().id}
		case *latchkey.BarrierOptions:
			if v == nil {
				out[i] = arg{Nil: true}
				continue
			}
			b := &barrierOpts{Timeout: v.Timeout}
			if v.Action != nil {
				b.Action = m.register(v.Action)
			}
			out[i] = arg{Barrier: b}
		case func() bool:
			out[i] = arg{Func: m.register(v)}
		default:
			a, err := valueArg(v)
			if err != nil {
				return nil, err
			}
			out[i] = a
		}
	}
	return out, nil
}

// register keeps f (a function for the children to call, or an error
// one returned) until the manager is closed.
func (m *Manager) register(f any) uint64 {
	if _, ok := f.(error); !ok {
		f = fn{f, m}
	}
	id := m.p.register(f)
	m.mu.Lock()
	m.funcs = append(m.funcs, id)
	m.mu.Unlock()
	return id
}

// call runs method on object obj of child c.
func (m *Manager) call(ctx context.Context, c *child, obj, newID uint64, method string, vs ...any) ([]arg, error) {
	args, err := m.args(c, vs)
	if err != nil {
		return nil, err
	}
	return c.call(ctx, obj, newID, method, args)
}

// open opens a handle with the manager's method in child c, or in the
// next child when c is nil.
func (m *Manager) open(ctx context.Context, c *child, method string, vs ...any) (*handle, error) {
	if c == nil {
		c = m.p.children[(m.next.Add(1)-1)%uint64(len(m.p.children))]
	}
	h := &handle{m: m, c: c, id: m.p.nextID.Add(1)}
	if _, err := m.call(ctx, c, m.id, h.id, method, vs...); err != nil {
		return nil, err
	}
	return h, nil
}

// do runs a method of h.
func (h *handle) do(ctx context.Context, method string, vs ...any) ([]arg, error) {
	return h.m.call(ctx, h.c, h.id, 0, method, vs...)
}

// call0 runs a method that returns only an error.
func call0(ctx context.Context, h *handle, method string, vs ...any) error {
	_, err := h.do(ctx, method, vs...)
	return err
}

// call1 runs a method that returns one value and an error.
func call1[R any](ctx context.Context, h *handle, method string, vs ...any) (R, error) {
	var r R
	res, err := h.do(ctx, method, vs...)
	if len(res) > 0 {
		v, verr := res[0].value(reflect.TypeFor[R]())
		if verr != nil {
			return r, errors.Join(err, verr)
		}
		r = v.Interface().(R)
	}
	return r, err
}

// fixed runs a method that takes no ctx and cannot fail (Cap, Parties,
// Len) once, when its handle is opened.
func fixed(ctx context.Context, h *handle, method string) (int, error) {
	return call1[int](ctx, h, method)
}

// Waiters reports how many calls are blocked on the object called name.
func (m *Manager) Waiters(ctx context.Context, name string) (int, error) {
	return call1[int](ctx, &handle{m: m, c: m.p.children[0], id: m.id}, "Waiters", name)
}

// Close closes the manager in every child and forgets its functions.
func (m *Manager) Close() error {
	var errs []error
	for _, c := range m.p.children {
		_, err := m.call(context.Background(), c, m.id, 0, "Close")
		errs = append(errs, err)
	}
	m.mu.Lock()
	m.p.unregister(m.funcs)
	m.funcs = nil
	m.mu.Unlock()
	return errors.Join(errs...)
}

// Lock opens a Lock.
func (m *Manager) Lock(ctx context.Context, name string) (latchkey.Lock, error) {
	h, err := m.open(ctx, nil, "Lock", name)
	if err != nil {
		return nil, err
	}
	return lockP{lockerP{h}}, nil
}

// RLock opens an RLock.
func (m *Manager) RLock(ctx context.Context, name string) (latchkey.RLock, error) {
	h, err := m.open(ctx, nil, "RLock", name)
	if err != nil {
		return nil, err
	}
	return rlockP{lockerP{h}}, nil
}

// RWLock opens an RWLock.
func (m *Manager) RWLock(ctx context.Context, name string) (latchkey.RWLock, error) {
	h, err := m.open(ctx, nil, "RWLock", name)
	if err != nil {
		return nil, err
	}
	return rwlockP{lockerP{h}}, nil
}

// Semaphore opens a Semaphore.
func (m *Manager) Semaphore(ctx context.Context, name string, value int) (latchkey.Semaphore, error) {
	h, err := m.open(ctx, nil, "Semaphore", name, value)
	if err != nil {
		return nil, err
	}
	return semP{h}, nil
}

// BoundedSemaphore opens a bounded Semaphore.
func (m *Manager) BoundedSemaphore(ctx context.Context, name string, value int) (latchkey.Semaphore, error) {
	h, err := m.open(ctx, nil, "BoundedSemaphore", name, value)
	if err != nil {
		return nil, err
	}
	return semP{h}, nil
}

// Condition opens a Condition in the child of its lock (a new child when
// lock is nil).
func (m *Manager) Condition(ctx context.Context, name string, lock latchkey.Locker) (latchkey.Condition, error) {
	var c *child
	if p, ok := lock.(proxy); ok {
		c = p.ref().c
	} else if lock != nil {
		return nil, fmt.Errorf("remotemgr: a %T is not a handle of this manager", lock)
	}
	h, err := m.open(ctx, c, "Condition", name, lock)
	if err != nil {
		return nil, err
	}
	return condP{lockerP{h}}, nil
}

// Event opens an Event.
func (m *Manager) Event(ctx context.Context, name string) (latchkey.Event, error) {
	h, err := m.open(ctx, nil, "Event", name)
	if err != nil {
		return nil, err
	}
	return eventP{h}, nil
}

// Barrier opens a Barrier. Its Action runs in this process, called back
// by the child.
func (m *Manager) Barrier(ctx context.Context, name string, parties int, opts *latchkey.BarrierOptions) (latchkey.Barrier, error) {
	h, err := m.open(ctx, nil, "Barrier", name, parties, opts)
	if err != nil {
		return nil, err
	}
	n, err := fixed(ctx, h, "Parties")
	if err != nil {
		return nil, err
	}
	return barrierP{h, n}, nil
}

// Queue opens a Queue.
func (m *Manager) Queue(ctx context.Context, name string, opts latchkey.QueueOptions) (latchkey.Queue, error) {
	h, err := m.open(ctx, nil, "Queue", name, opts)
	if err != nil {
		return nil, err
	}
	n, err := fixed(ctx, h, "Cap")
	if err != nil {
		return nil, err
	}
	return queueP{h, n}, nil
}

// SimpleQueue opens a SimpleQueue.
func (m *Manager) SimpleQueue(ctx context.Context, name string) (latchkey.SimpleQueue, error) {
	h, err := m.open(ctx, nil, "SimpleQueue", name)
	if err != nil {
		return nil, err
	}
	return queueP{h, 0}, nil
}

// Value opens an integer Value.
func (m *Manager) Value(ctx context.Context, name string) (latchkey.Value[int64], error) {
	h, err := m.open(ctx, nil, "Value", name)
	if err != nil {
		return nil, err
	}
	return valueP[int64]{h}, nil
}

// FloatValue opens a float Value.
func (m *Manager) FloatValue(ctx context.Context, name string) (latchkey.Value[float64], error) {
	h, err := m.open(ctx, nil, "FloatValue", name)
	if err != nil {
		return nil, err
	}
	return valueP[float64]{h}, nil
}

// Array opens an integer Array.
func (m *Manager) Array(ctx context.Context, name string, n int) (latchkey.Array[int64], error) {
	return openArray[int64](ctx, m, "Array", name, n)
}

// FloatArray opens a float Array.
func (m *Manager) FloatArray(ctx context.Context, name string, n int) (latchkey.Array[float64], error) {
	return openArray[float64](ctx, m, "FloatArray", name, n)
}

func openArray[T latchkey.Number](ctx context.Context, m *Manager, method, name string, n int) (latchkey.Array[T], error) {
	h, err := m.open(ctx, nil, method, name, n)
	if err != nil {
		return nil, err
	}
	if n, err = fixed(ctx, h, "Len"); err != nil {
		return nil, err
	}
	return arrayP[T]{h, n}, nil
}

// unproxied is the error of a successful open of a type this package has
// no proxy for.
func unproxied(kind string) error {
	return latchkey.Errorf(latchkey.KindUnavailable, "remotemgr: %s handles are not proxied", kind)
}

// Dict opens a Dict in a child; see the package doc.
func (m *Manager) Dict(ctx context.Context, name string) (latchkey.Dict, error) {
	if _, err := m.open(ctx, nil, "Dict", name); err != nil {
		return nil, err
	}
	return nil, unproxied("Dict")
}

// List opens a List in a child; see the package doc.
func (m *Manager) List(ctx context.Context, name string) (latchkey.List, error) {
	if _, err := m.open(ctx, nil, "List", name); err != nil {
		return nil, err
	}
	return nil, unproxied("List")
}

// Namespace opens a Namespace in a child; see the package doc.
func (m *Manager) Namespace(ctx context.Context, name string) (latchkey.Namespace, error) {
	if _, err := m.open(ctx, nil, "Namespace", name); err != nil {
		return nil, err
	}
	return nil, unproxied("Namespace")
}
