package remotemgr

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sync"

	"github.com/latchkey/latchkey"
)

// Serve is the child's side: it reads calls from file descriptor 3 and
// answers on file descriptor 4 until the parent closes its end, and then
// returns nil. open opens the backend's manager for a [Pool.Manager]
// spec. Serve runs every call in its own goroutine, so that blocking calls
// do not hold up the others.
func Serve(open func(spec string) (latchkey.Manager, error)) error {
	in, out := os.NewFile(3, "remotemgr-in"), os.NewFile(4, "remotemgr-out")
	if in == nil || out == nil {
		return errors.New("remotemgr: file descriptors 3 and 4 are not open")
	}
	s := &server{
		open:      open,
		enc:       gob.NewEncoder(out),
		objs:      make(map[uint64]any),
		owner:     make(map[uint64]uint64),
		calls:     make(map[uint64]context.CancelFunc),
		callbacks: make(map[uint64]chan *msg),
	}
	dec := gob.NewDecoder(bufio.NewReader(in))
	for {
		m := new(msg)
		if err := dec.Decode(m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("remotemgr: reading from the parent: %w", err)
		}
		switch m.Op {
		case opCall:
			var ctx context.Context
			var cancel context.CancelFunc
			if m.Deadline.IsZero() {
				ctx, cancel = context.WithCancel(context.Background())
			} else {
				ctx, cancel = context.WithDeadline(context.Background(), m.Deadline)
			}
			s.mu.Lock()
			s.calls[m.ID] = cancel
			s.mu.Unlock()
			go s.call(ctx, cancel, m)
		case opCancel:
			s.mu.Lock()
			cancel := s.calls[m.ID]
			s.mu.Unlock()
			if cancel != nil {
				cancel()
			}
		case opReturn:
			s.mu.Lock()
			ch := s.callbacks[m.ID]
			delete(s.callbacks, m.ID)
			s.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		default:
			return fmt.Errorf("remotemgr: unexpected message %d from the parent", m.Op)
		}
	}
}

// server is the child's state.
type server struct {
	open func(spec string) (latchkey.Manager, error)

	wmu sync.Mutex // serializes enc
	enc *gob.Encoder

	mu        sync.Mutex
	objs      map[uint64]any    // managers and handles by id
	owner     map[uint64]uint64 // object id → its manager's id
	calls     map[uint64]context.CancelFunc
	callbacks map[uint64]chan *msg
	nextCB    uint64
}

func (s *server) send(m *msg) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.enc.Encode(m)
}

// call runs one call and sends its result.
func (s *server) call(ctx context.Context, cancel context.CancelFunc, m *msg) {
	results, err := s.invoke(ctx, m)
	cancel()
	s.mu.Lock()
	delete(s.calls, m.ID)
	s.mu.Unlock()
	// A failed send means the parent is gone; Serve's read fails too.
	_ = s.send(&msg{Op: opResult, ID: m.ID, Results: results, Err: toErrInfo(err)})
}

// invoke runs the method m names on its object, by reflection.
func (s *server) invoke(ctx context.Context, m *msg) ([]arg, error) {
	if m.Obj == 0 {
		return nil, s.openManager(m)
	}
	s.mu.Lock()
	obj, ok := s.objs[m.Obj]
	mgr := s.owner[m.Obj]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("remotemgr: no object %d in this process", m.Obj)
	}
	method := reflect.ValueOf(obj).MethodByName(m.Method)
	if !method.IsValid() {
		return nil, fmt.Errorf("remotemgr: %T has no method %s", obj, m.Method)
	}
	t := method.Type()
	if t.IsVariadic() {
		return nil, fmt.Errorf("remotemgr: %T.%s is variadic", obj, m.Method)
	}
	in := make([]reflect.Value, t.NumIn())
	next := 0
	for i := range in {
		pt := t.In(i)
		if pt == ctxType {
			in[i] = reflect.ValueOf(ctx)
			continue
		}
		if next == len(m.Args) {
			return nil, fmt.Errorf("remotemgr: %T.%s: too few arguments", obj, m.Method)
		}
		v, err := s.argValue(m.Args[next], pt)
		if err != nil {
			return nil, fmt.Errorf("remotemgr: %T.%s argument %d: %w", obj, m.Method, i, err)
		}
		in[i], next = v, next+1
	}
	outs := method.Call(in)
	var err error
	if n := len(outs); n > 0 && t.Out(n-1) == errorType {
		if e := outs[n-1]; !e.IsNil() {
			err = e.Interface().(error)
		}
		outs = outs[:n-1]
	}
	results := make([]arg, len(outs))
	for i, out := range outs {
		if out.Kind() == reflect.Interface {
			// A handle: it stays here, under the id the parent chose.
			if !out.IsNil() {
				s.mu.Lock()
				s.objs[m.New], s.owner[m.New] = out.Interface(), mgr
				s.mu.Unlock()
			}
			results[i] = arg{Obj: m.New}
			continue
		}
		a, aerr := valueArg(out.Interface())
		if aerr != nil && err == nil {
			err = aerr
		}
		results[i] = a
	}
	if m.Method == "Close" && m.Obj == mgr {
		s.forget(mgr)
	}
	return results, err
}

// openManager opens a backend manager for the spec in m's first argument.
func (s *server) openManager(m *msg) error {
	if m.Method != "open" || len(m.Args) != 1 {
		return fmt.Errorf("remotemgr: bad open call %q", m.Method)
	}
	spec, ok := m.Args[0].Val.(string)
	if !ok {
		return fmt.Errorf("remotemgr: open: the spec is a %T", m.Args[0].Val)
	}
	mgr, err := s.open(spec)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.objs[m.New], s.owner[m.New] = mgr, m.New
	s.mu.Unlock()
	return nil
}

// forget drops the handles of a closed manager (but not the manager, so
// that closing it again reaches the backend).
func (s *server) forget(mgr uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, o := range s.owner {
		if o == mgr && id != mgr {
			delete(s.objs, id)
			delete(s.owner, id)
		}
	}
}

// argValue returns the value of a for a parameter of type t.
func (s *server) argValue(a arg, t reflect.Type) (reflect.Value, error) {
	switch {
	case a.Obj != 0:
		s.mu.Lock()
		obj, ok := s.objs[a.Obj]
		s.mu.Unlock()
		if !ok {
			return reflect.Value{}, fmt.Errorf("no object %d in this process", a.Obj)
		}
		v := reflect.ValueOf(obj)
		if !v.Type().AssignableTo(t) {
			return reflect.Value{}, fmt.Errorf("a %s where a %s is expected", v.Type(), t)
		}
		return v, nil
	case a.Func != 0:
		if t.Kind() != reflect.Func || t.NumIn() != 0 {
			return reflect.Value{}, fmt.Errorf("a function where a %s is expected", t)
		}
		return s.stand(a.Func, t), nil
	case a.Barrier != nil:
		if t != barrierType {
			return reflect.Value{}, fmt.Errorf("barrier options where a %s is expected", t)
		}
		opts := &latchkey.BarrierOptions{Timeout: a.Barrier.Timeout}
		if a.Barrier.Action != 0 {
			opts.Action = s.stand(a.Barrier.Action, reflect.TypeFor[func() error]()).Interface().(func() error)
		}
		return reflect.ValueOf(opts), nil
	}
	return a.value(t)
}

// stand returns a function of type t (no parameters) that runs the
// parent's function fn and returns its results.
func (s *server) stand(fn uint64, t reflect.Type) reflect.Value {
	return reflect.MakeFunc(t, func([]reflect.Value) []reflect.Value {
		r := s.callback(fn)
		if r.Panic != "" {
			panic(r.Panic)
		}
		outs := make([]reflect.Value, t.NumOut())
		for i := range outs {
			ot := t.Out(i)
			switch {
			case ot == errorType:
				outs[i] = reflect.Zero(ot)
				if err := r.Err.err(context.Background(), nil); err != nil {
					outs[i] = reflect.ValueOf(&err).Elem()
				}
			case i < len(r.Results):
				v, err := r.Results[i].value(ot)
				if err != nil {
					panic(fmt.Sprintf("remotemgr: callback result %d: %v", i, err))
				}
				outs[i] = v
			default:
				outs[i] = reflect.Zero(ot)
			}
		}
		return outs
	})
}

// callback runs the parent's function fn and returns its answer. If the
// parent is gone it never returns; neither does Serve's caller need it to.
func (s *server) callback(fn uint64) *msg {
	ch := make(chan *msg, 1)
	s.mu.Lock()
	s.nextCB++
	id := s.nextCB
	s.callbacks[id] = ch
	s.mu.Unlock()
	if err := s.send(&msg{Op: opCallback, ID: id, Obj: fn}); err != nil {
		return &msg{Panic: "remotemgr: calling back the parent: " + err.Error()}
	}
	return <-ch
}
