package shm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"unsafe"
	"weak"

	"github.com/latchkey/latchkey"
)

var (
	_ latchkey.Locks   = (*Manager)(nil)
	_ latchkey.Signals = (*Manager)(nil)
	_ latchkey.Queues  = (*Manager)(nil)
	_ latchkey.Numbers = (*Manager)(nil)
)

// Object kinds, recorded in each file's header. Append only: the numbers
// are part of the file format.
const (
	kindLock        = 1
	kindRLock       = 2
	kindSemaphore   = 3
	kindValue       = 4
	kindArray       = 5
	kindRWLock      = 6
	kindEvent       = 7
	kindCondition   = 8
	kindBarrier     = 9
	kindQueue       = 10
	kindSimpleQueue = 11
)

var kindNames = map[uint32]string{
	kindLock: "Lock", kindRLock: "RLock", kindSemaphore: "Semaphore", kindValue: "Value", kindArray: "Array",
	kindRWLock: "RWLock", kindEvent: "Event", kindCondition: "Condition", kindBarrier: "Barrier",
	kindQueue: "Queue", kindSimpleQueue: "SimpleQueue",
}

func kindName(k uint32) string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("object of kind %d", k)
}

// Manager opens named objects in shared memory: one file per object in
// its directory ([Config].Dir, /dev/shm by default). Every process that
// opens a name with the same directory gets the same object; the first
// creates it with the parameters given, and opening it as another type or
// with other parameters returns [latchkey.ErrMismatch]. Names are those
// that [latchkey.CheckName] accepts.
//
// Manager implements [latchkey.Locks], [latchkey.Signals],
// [latchkey.Queues] and [latchkey.Numbers]: every part of
// [latchkey.Manager] but the containers (Dict, List, Namespace). OpenLock,
// OpenRLock, OpenRWLock, OpenSemaphore, OpenBoundedSemaphore, OpenEvent,
// OpenCondition, OpenBarrier, OpenQueue, OpenSimpleQueue, [OpenValue] and
// [OpenArray] return the concrete types.
//
// Objects outlive the processes that use them: a file stays until
// [Manager.Remove] (Python's SharedMemory.unlink) or a reboot.
//
// A Manager is safe for concurrent use. Close makes later opens fail with
// [latchkey.ErrClosed]; handles already opened keep working. A process
// maps each object once per Manager, and unmaps it when the last handle is
// garbage collected.
type Manager struct {
	cfg Config

	mu      sync.Mutex // guards regions and closed
	regions map[fileKey]weak.Pointer[region]
	closed  bool
}

// NewManager returns a Manager on cfg's directory (nil: the defaults). It
// returns [ErrUnsupported] on systems other than Linux.
func NewManager(cfg *Config) (*Manager, error) {
	if !supported {
		return nil, ErrUnsupported
	}
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.withDefaults()
	fi, err := os.Stat(c.Dir)
	if err != nil {
		return nil, fmt.Errorf("shm: %w", err)
	}
	if !fi.IsDir() {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "shm: %s is not a directory", c.Dir)
	}
	return &Manager{cfg: c, regions: make(map[fileKey]weak.Pointer[region])}, nil
}

// path returns the file of the object called name.
func (m *Manager) path(name string) string { return filepath.Join(m.cfg.Dir, fileName(name)) }

// open maps the object called name, of kind with params and size bytes,
// creating it if it does not exist. initBody fills in a new object's body.
func (m *Manager) open(ctx context.Context, name string, kind uint32, params [numParams]uint64, size int, initBody func(r *region)) (*region, error) {
	return m.openAt(ctx, m.path(name), name, kind, params, size, initBody)
}

// openAt is open with the object's file at path.
func (m *Manager) openAt(_ context.Context, path, name string, kind uint32, params [numParams]uint64, size int, initBody func(r *region)) (*region, error) {
	if err := latchkey.CheckName(name); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, latchkey.ErrClosed
	}
	if key, err := statKey(path); err == nil {
		if r := m.regions[key].Value(); r != nil {
			return r, r.check(name, kind, params, size)
		}
	}
	data, key, err := mapFile(path, size, m.cfg.Mode, func(b []byte) {
		initHeader(b, kind, params, name)
		if initBody != nil {
			initBody(&region{data: b, base: unsafe.Pointer(&b[0])})
		}
	})
	if err != nil {
		return nil, err
	}
	if r := m.regions[key].Value(); r != nil {
		unmap(data)
		return r, r.check(name, kind, params, size)
	}
	r := &region{
		data:     data,
		base:     unsafe.Pointer(&data[0]),
		path:     path,
		name:     name,
		ident:    selfIdent(),
		interval: m.cfg.CheckInterval,
	}
	if err := r.check(name, kind, params, size); err != nil {
		unmap(data)
		return nil, err
	}
	r.obj = newCore(r, kind)
	if err := r.register(); err != nil {
		unmap(data)
		return nil, err
	}
	wp := weak.Make(r)
	m.regions[key] = wp
	runtime.AddCleanup(r, func(c regionCleanup) {
		unmap(c.data)
		c.m.mu.Lock()
		if c.m.regions[c.key] == c.wp {
			delete(c.m.regions, c.key)
		}
		c.m.mu.Unlock()
	}, regionCleanup{data, m, key, wp})
	return r, nil
}

// regionCleanup is what unmapping a garbage-collected region needs.
type regionCleanup struct {
	data []byte
	m    *Manager
	key  fileKey
	wp   weak.Pointer[region]
}

// check returns ErrMismatch unless r is a valid object file of the object
// called name, of kind with params and size bytes (kind 0: any).
func (r *region) check(name string, kind uint32, params [numParams]uint64, size int) error {
	switch {
	case r.u64(offMagic).Load() != fileMagic || r.u32(offVersion).Load() != fileVersion:
		return mismatchf("shm: %s is not a latchkey object of version %d", r.path, fileVersion)
	case r.u64(offSize).Load() != uint64(len(r.data)):
		return mismatchf("shm: %s is damaged: its size is %d, its header says %d", r.path, len(r.data), r.u64(offSize).Load())
	case r.storedName() != name:
		return mismatchf("shm: %s belongs to object %q, not %q", r.path, r.storedName(), name)
	}
	if kind == 0 {
		return nil
	}
	if k := r.u32(offKind).Load(); k != kind {
		return mismatchf("shm: %q is a %s, not a %s", name, kindName(k), kindName(kind))
	}
	for i, p := range params {
		if got := r.param(i); got != p {
			return mismatchf("shm: %s %q exists with other parameters (%s)", kindName(kind), name, describeParams(kind, i, got, p))
		}
	}
	if len(r.data) != size {
		return mismatchf("shm: %s is damaged: its size is %d, not %d", r.path, len(r.data), size)
	}
	return nil
}

// describeParams describes how parameter i differs: it is got, not want.
func describeParams(kind uint32, i int, got, want uint64) string {
	switch {
	case kind == kindSemaphore && i == semParamValue:
		return fmt.Sprintf("value %d, not %d", got, want)
	case kind == kindSemaphore && i == semParamBounded:
		return fmt.Sprintf("bounded %v, not %v", got == 1, want == 1)
	case (kind == kindValue || kind == kindArray) && i == numParamElem:
		return fmt.Sprintf("numbers of type %v, not %v", elemKind(got), elemKind(want))
	case kind == kindArray && i == numParamLen:
		return fmt.Sprintf("length %d, not %d", got, want)
	case kind == kindValue || kind == kindArray || kind == kindCondition:
		return "another lock"
	case kind == kindBarrier && i == barParamParties:
		return fmt.Sprintf("%d parties, not %d", got, want)
	case (kind == kindQueue || kind == kindSimpleQueue) && i == qParamOrder:
		return fmt.Sprintf("order %v, not %v", latchkey.Order(got), latchkey.Order(want))
	case (kind == kindQueue || kind == kindSimpleQueue) && i == qParamMaxMsg:
		return fmt.Sprintf("messages of at most %d bytes, not %d", got, want)
	case kind == kindQueue || kind == kindSimpleQueue:
		return fmt.Sprintf("MaxSize %d, not %d", got, want)
	}
	return fmt.Sprintf("parameter %d is %d, not %d", i, got, want)
}

// newCore returns the recovery hooks of r, an object of kind.
func newCore(r *region, kind uint32) objectCore {
	switch kind {
	case kindSemaphore:
		return semCore{r}
	case kindRWLock:
		return rwCore{r}
	case kindEvent:
		return eventCore{r}
	case kindCondition:
		return condCore{r}
	case kindBarrier:
		return barrierCore{r}
	case kindQueue, kindSimpleQueue:
		return newQueueCore(r)
	}
	// Locks, and Values and Arrays, whose body starts with a lock word.
	// A kind this version does not know has no waiters it can serve.
	return lockCore{r, offBody}
}

// OpenLock opens the [Lock] called name. Every handle of one name refers
// to the same lock, in every process.
func (m *Manager) OpenLock(ctx context.Context, name string) (*Lock, error) {
	r, err := m.open(ctx, name, kindLock, [numParams]uint64{}, offBody+lkBodySize, nil)
	if err != nil {
		return nil, err
	}
	return &Lock{c: lockCore{r, offBody}}, nil
}

// OpenRLock opens the [RLock] called name and returns a new owner handle.
func (m *Manager) OpenRLock(ctx context.Context, name string) (*RLock, error) {
	r, err := m.open(ctx, name, kindRLock, [numParams]uint64{}, offBody+lkBodySize, nil)
	if err != nil {
		return nil, err
	}
	return &RLock{c: lockCore{r, offBody}}, nil
}

// OpenRWLock opens the [RWLock] called name and returns a new owner
// handle.
func (m *Manager) OpenRWLock(ctx context.Context, name string) (*RWLock, error) {
	r, err := m.open(ctx, name, kindRWLock, [numParams]uint64{}, offBody+rwBodySize, nil)
	if err != nil {
		return nil, err
	}
	return &RWLock{c: rwCore{r}}, nil
}

// OpenEvent opens the [Event] called name, clear when it is created.
func (m *Manager) OpenEvent(ctx context.Context, name string) (*Event, error) {
	r, err := m.open(ctx, name, kindEvent, [numParams]uint64{}, offBody+evBodySize, nil)
	if err != nil {
		return nil, err
	}
	return &Event{c: eventCore{r}}, nil
}

// OpenCondition opens the [Condition] called name, bound to lock: a
// [*Lock] or an [*RLock] handle of this package (the condition's handle
// then shares that handle's ownership), or nil for a Lock of the
// condition's own, which every handle of the condition shares. Any other
// lock returns [latchkey.ErrInvalid]. The binding is part of the
// condition's identity: opening the name bound to another lock (or to its
// own after another) returns [latchkey.ErrMismatch].
func (m *Manager) OpenCondition(ctx context.Context, name string, lock latchkey.Locker) (*Condition, error) {
	var bound condLocker // nil: a Lock of the condition's own
	switch l := lock.(type) {
	case nil:
	case *Lock:
		if l == nil {
			return nil, latchkey.Errorf(latchkey.KindInvalid, "shm: condition over a nil *Lock")
		}
		bound = l
	case *RLock:
		if l == nil {
			return nil, latchkey.Errorf(latchkey.KindInvalid, "shm: condition over a nil *RLock")
		}
		bound = l
	default:
		return nil, latchkey.Errorf(latchkey.KindInvalid, "shm: a %T cannot be a condition's lock; use a *shm.Lock or *shm.RLock", lock)
	}
	var opts *Options
	if bound != nil {
		opts = &Options{Lock: bound}
	}
	mode, id0, id1, err := lockParams(opts)
	if err != nil {
		return nil, err
	}
	params := [numParams]uint64{condParamMode: mode, condParamID0: id0, condParamID1: id1}
	r, err := m.open(ctx, name, kindCondition, params, offBody+condBodySize, nil)
	if err != nil {
		return nil, err
	}
	c := &Condition{c: condCore{r}, lock: bound}
	if bound == nil {
		lr, err := m.openAt(ctx, m.companion(name), name, kindLock, [numParams]uint64{}, offBody+lkBodySize, nil)
		if err != nil {
			return nil, err
		}
		c.lock = &Lock{c: lockCore{lr, offBody}}
	}
	return c, nil
}

// OpenBarrier opens the [Barrier] called name for parties parties (1 to
// 65, else [latchkey.ErrInvalid]); opts (nil: none) are this handle's.
func (m *Manager) OpenBarrier(ctx context.Context, name string, parties int, opts *latchkey.BarrierOptions) (*Barrier, error) {
	if parties < 1 || parties > barPartiesMax {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "shm: barrier parties %d must be in [1, %d]", parties, barPartiesMax)
	}
	r, err := m.open(ctx, name, kindBarrier, [numParams]uint64{barParamParties: uint64(parties)}, offBody+barBodySize, nil)
	if err != nil {
		return nil, err
	}
	b := &Barrier{c: barrierCore{r}}
	if opts != nil {
		b.opts = *opts
	}
	return b, nil
}

// OpenQueue opens the [Queue] called name with opts: an unknown Order, or
// sizes past the limits, return [latchkey.ErrInvalid].
func (m *Manager) OpenQueue(ctx context.Context, name string, opts QueueOptions) (*Queue, error) {
	r, err := m.openQueue(ctx, name, kindQueue, opts)
	if err != nil {
		return nil, err
	}
	return &Queue{c: newQueueCore(r)}, nil
}

// OpenSimpleQueue opens the [SimpleQueue] called name.
func (m *Manager) OpenSimpleQueue(ctx context.Context, name string) (*SimpleQueue, error) {
	r, err := m.openQueue(ctx, name, kindSimpleQueue, QueueOptions{})
	if err != nil {
		return nil, err
	}
	return &SimpleQueue{q: Queue{c: newQueueCore(r)}}, nil
}

func (m *Manager) openQueue(ctx context.Context, name string, kind uint32, opts QueueOptions) (*region, error) {
	params, err := opts.params()
	if err != nil {
		return nil, err
	}
	_, _, _, size := queueLayout(params[qParamCap], params[qParamMaxMsg])
	return m.open(ctx, name, kind, params, int(size), nil)
}

// OpenSemaphore opens the unbounded [Semaphore] called name, with value
// free permits when it is created (0 ≤ value ≤ 2³¹−1, else
// [latchkey.ErrInvalid]).
func (m *Manager) OpenSemaphore(ctx context.Context, name string, value int) (*Semaphore, error) {
	return m.openSemaphore(ctx, name, value, false)
}

// OpenBoundedSemaphore opens the bounded [Semaphore] called name, which
// can never hold more than value permits. A name opened as a bounded and
// as an unbounded semaphore is ErrMismatch.
func (m *Manager) OpenBoundedSemaphore(ctx context.Context, name string, value int) (*Semaphore, error) {
	return m.openSemaphore(ctx, name, value, true)
}

func (m *Manager) openSemaphore(ctx context.Context, name string, value int, bounded bool) (*Semaphore, error) {
	if value < 0 || value > semValueMax {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "shm: semaphore value %d out of range [0, %d]", value, semValueMax)
	}
	var b uint64
	if bounded {
		b = 1
	}
	r, err := m.open(ctx, name, kindSemaphore, [numParams]uint64{uint64(value), b}, offBody+semBodySize, func(r *region) {
		r.u64(offSemValue).Store(uint64(value))
	})
	if err != nil {
		return nil, err
	}
	return &Semaphore{c: semCore{r}}, nil
}

// Remove removes the object called name, like Python's
// SharedMemory.unlink: handles already open keep working on it, and the
// next open of the name creates a new object. It returns
// [latchkey.ErrNotFound] if there is no such object.
func (m *Manager) Remove(name string) error {
	if err := latchkey.CheckName(name); err != nil {
		return err
	}
	if err := removeFile(m.path(name)); err != nil {
		if isNotExist(err) {
			return latchkey.Errorf(latchkey.KindNotFound, "shm: no object %q", name)
		}
		return fmt.Errorf("shm: remove %q: %w", name, err)
	}
	// A Condition's own lock.
	if err := removeFile(m.companion(name)); err != nil && !isNotExist(err) {
		return fmt.Errorf("shm: remove the lock of %q: %w", name, err)
	}
	return nil
}

// companion returns the file of the Lock of its own that a Condition
// called name has: the object's file name and "%L", which no escaped name
// ends with (or, if that is too long, the hashed file name and "%L").
func (m *Manager) companion(name string) string {
	f := fileName(name)
	if len(f)+2 > 255 {
		f = hashedFileName(name)
	}
	return filepath.Join(m.cfg.Dir, f+"%L")
}

// Waiters returns the number of calls blocked on the object called name,
// in every process, or [latchkey.ErrNotFound] if there is no such object.
func (m *Manager) Waiters(_ context.Context, name string) (int, error) {
	if err := latchkey.CheckName(name); err != nil {
		return 0, err
	}
	path := m.path(name)
	m.mu.Lock()
	if key, err := statKey(path); err == nil {
		if r := m.regions[key].Value(); r != nil {
			m.mu.Unlock()
			defer runtime.KeepAlive(r)
			return r.waiters(), nil
		}
	}
	m.mu.Unlock()
	// Not mapped by this Manager: a look that does not register this
	// process with the object.
	data, _, err := mapExisting(path)
	if isNotExist(err) {
		return 0, latchkey.Errorf(latchkey.KindNotFound, "shm: no object %q", name)
	}
	if err != nil {
		return 0, err
	}
	defer unmap(data)
	r := &region{data: data, base: unsafe.Pointer(&data[0]), path: path}
	if err := r.check(name, 0, [numParams]uint64{}, 0); err != nil {
		return 0, err
	}
	return r.waiters(), nil
}

// Dir returns the directory of the Manager's objects.
func (m *Manager) Dir() string { return m.cfg.Dir }

// Close makes later opens fail with [latchkey.ErrClosed]. Handles already
// opened keep working. It is idempotent.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	return nil
}

// as converts a concrete handle to the interface I, keeping a nil
// interface (not a typed nil) on error.
func as[I, T any](v T, err error) (I, error) {
	if err != nil {
		var zero I
		return zero, err
	}
	return any(v).(I), nil
}

// Lock opens the Lock called name ([Manager.OpenLock]).
func (m *Manager) Lock(ctx context.Context, name string) (latchkey.Lock, error) {
	return as[latchkey.Lock](m.OpenLock(ctx, name))
}

// RLock opens the RLock called name and returns a new owner handle
// ([Manager.OpenRLock]).
func (m *Manager) RLock(ctx context.Context, name string) (latchkey.RLock, error) {
	return as[latchkey.RLock](m.OpenRLock(ctx, name))
}

// RWLock opens the RWLock called name and returns a new owner handle
// ([Manager.OpenRWLock]).
func (m *Manager) RWLock(ctx context.Context, name string) (latchkey.RWLock, error) {
	return as[latchkey.RWLock](m.OpenRWLock(ctx, name))
}

// Event opens the Event called name ([Manager.OpenEvent]).
func (m *Manager) Event(ctx context.Context, name string) (latchkey.Event, error) {
	return as[latchkey.Event](m.OpenEvent(ctx, name))
}

// Condition opens the Condition called name, bound to lock
// ([Manager.OpenCondition]).
func (m *Manager) Condition(ctx context.Context, name string, lock latchkey.Locker) (latchkey.Condition, error) {
	return as[latchkey.Condition](m.OpenCondition(ctx, name, lock))
}

// Barrier opens the Barrier called name for parties parties
// ([Manager.OpenBarrier]).
func (m *Manager) Barrier(ctx context.Context, name string, parties int, opts *latchkey.BarrierOptions) (latchkey.Barrier, error) {
	return as[latchkey.Barrier](m.OpenBarrier(ctx, name, parties, opts))
}

// Queue opens the Queue called name with opts' order and MaxSize, for
// messages of at most [DefaultMaxMessage] bytes ([Manager.OpenQueue]).
func (m *Manager) Queue(ctx context.Context, name string, opts latchkey.QueueOptions) (latchkey.Queue, error) {
	return as[latchkey.Queue](m.OpenQueue(ctx, name, QueueOptions{Order: opts.Order, MaxSize: opts.MaxSize}))
}

// SimpleQueue opens the SimpleQueue called name
// ([Manager.OpenSimpleQueue]).
func (m *Manager) SimpleQueue(ctx context.Context, name string) (latchkey.SimpleQueue, error) {
	return as[latchkey.SimpleQueue](m.OpenSimpleQueue(ctx, name))
}

// Semaphore opens the unbounded Semaphore called name
// ([Manager.OpenSemaphore]).
func (m *Manager) Semaphore(ctx context.Context, name string, value int) (latchkey.Semaphore, error) {
	return as[latchkey.Semaphore](m.OpenSemaphore(ctx, name, value))
}

// BoundedSemaphore opens the bounded Semaphore called name
// ([Manager.OpenBoundedSemaphore]).
func (m *Manager) BoundedSemaphore(ctx context.Context, name string, value int) (latchkey.Semaphore, error) {
	return as[latchkey.Semaphore](m.OpenBoundedSemaphore(ctx, name, value))
}

// Value opens the int64 Value called name, with an attached lock
// ([OpenValue]).
func (m *Manager) Value(ctx context.Context, name string) (latchkey.Value[int64], error) {
	return as[latchkey.Value[int64]](OpenValue[int64](ctx, m, name, nil))
}

// FloatValue opens the float64 Value called name, with an attached lock.
func (m *Manager) FloatValue(ctx context.Context, name string) (latchkey.Value[float64], error) {
	return as[latchkey.Value[float64]](OpenValue[float64](ctx, m, name, nil))
}

// Array opens the int64 Array called name, of length n, with an attached
// lock ([OpenArray]).
func (m *Manager) Array(ctx context.Context, name string, n int) (latchkey.Array[int64], error) {
	return as[latchkey.Array[int64]](OpenArray[int64](ctx, m, name, n, nil))
}

// FloatArray opens the float64 Array called name, of length n, with an
// attached lock.
func (m *Manager) FloatArray(ctx context.Context, name string, n int) (latchkey.Array[float64], error) {
	return as[latchkey.Array[float64]](OpenArray[float64](ctx, m, name, n, nil))
}
