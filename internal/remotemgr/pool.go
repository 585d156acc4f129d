package remotemgr

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
)

// Pool is a set of child processes serving calls.
type Pool struct {
	children []*child
	nextID   atomic.Uint64 // ids of calls, managers and handles

	// hb orders, for the race detector, what the parent did before a call
	// with what its callbacks do, and what a callback did with what the
	// parent does after a call that follows it. The pipes order them for
	// real, but the detector cannot see through a pipe.
	hb sync.Mutex

	mu     sync.Mutex
	funcs  map[uint64]any // the parent's functions the children may call, and the errors they returned
	closed bool
}

// Start starts n children. command returns the command of one child: a
// program whose role is to call [Serve] (Start adds the two pipes as its
// file descriptors 3 and 4). On error the children already started are
// stopped.
func Start(n int, command func() *exec.Cmd) (*Pool, error) {
	if n < 1 {
		return nil, fmt.Errorf("remotemgr: %d children", n)
	}
	p := &Pool{funcs: make(map[uint64]any)}
	for range n {
		c, err := p.startChild(command())
		if err != nil {
			p.Close()
			return nil, err
		}
		p.children = append(p.children, c)
	}
	return p, nil
}

// Size returns the number of children.
func (p *Pool) Size() int { return len(p.children) }

// Close stops the children: it closes their pipes (Serve returns) and
// waits for them to exit, killing those that have not within five
// seconds. It returns the children's failures, if any; closing again
// does nothing.
func (p *Pool) Close() error {
	p.mu.Lock()
	closed := p.closed
	p.closed = true
	p.mu.Unlock()
	if closed {
		return nil
	}
	var errs []error
	for _, c := range p.children {
		errs = append(errs, c.stop())
	}
	return errors.Join(errs...)
}

// register keeps f for the children to call, and returns its id.
func (p *Pool) register(f any) uint64 {
	id := p.nextID.Add(1)
	p.mu.Lock()
	p.funcs[id] = f
	p.mu.Unlock()
	return id
}

// sync is a synchronization point of hb.
func (p *Pool) sync() {
	p.hb.Lock()
	p.hb.Unlock()
}

// lookupErr returns the error kept under id, if any.
func (p *Pool) lookupErr(id uint64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	err, _ := p.funcs[id].(error)
	return err
}

// unregister forgets functions and errors.
func (p *Pool) unregister(ids []uint64) {
	p.mu.Lock()
	for _, id := range ids {
		delete(p.funcs, id)
	}
	p.mu.Unlock()
}

// fn is a function the children may call, and the manager it belongs to.
type fn struct {
	f any
	m *Manager
}

// child is one child process.
type child struct {
	p    *Pool
	cmd  *exec.Cmd
	out  *os.File // to the child
	wmu  sync.Mutex
	enc  *gob.Encoder
	dead chan struct{} // closed when the child's pipe is closed
	err  error         // why, once dead is closed
	exit chan struct{} // closed once the child has been waited for

	mu      sync.Mutex
	pending map[uint64]chan *msg
}

func (p *Pool) startChild(cmd *exec.Cmd) (*child, error) {
	toR, toW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("remotemgr: %w", err)
	}
	fromR, fromW, err := os.Pipe()
	if err != nil {
		toR.Close()
		toW.Close()
		return nil, fmt.Errorf("remotemgr: %w", err)
	}
	cmd.ExtraFiles = []*os.File{toR, fromW}
	err = cmd.Start()
	toR.Close()
	fromW.Close()
	if err != nil {
		toW.Close()
		fromR.Close()
		return nil, fmt.Errorf("remotemgr: starting a child: %w", err)
	}
	c := &child{
		p: p, cmd: cmd, out: toW, enc: gob.NewEncoder(toW),
		dead: make(chan struct{}), exit: make(chan struct{}),
		pending: make(map[uint64]chan *msg),
	}
	go c.read(fromR)
	go func() {
		c.cmd.Wait()
		close(c.exit)
	}()
	return c, nil
}

// stop closes the child's input and waits for it to exit.
func (c *child) stop() error {
	c.out.Close()
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	select {
	case <-c.exit:
	case <-timer.C:
		c.cmd.Process.Kill()
		<-c.exit
		return fmt.Errorf("remotemgr: child %d did not exit within 5s; killed", c.cmd.Process.Pid)
	}
	<-c.dead
	if s := c.cmd.ProcessState; s != nil && !s.Success() {
		return fmt.Errorf("remotemgr: child %d: %v", c.cmd.Process.Pid, s)
	}
	return nil
}

// read delivers the child's messages until its pipe closes.
func (c *child) read(r *os.File) {
	defer r.Close()
	dec := gob.NewDecoder(bufio.NewReader(r))
	for {
		m := new(msg)
		if err := dec.Decode(m); err != nil {
			c.err = fmt.Errorf("remotemgr: child %d: %w", c.cmd.Process.Pid, err)
			close(c.dead)
			return
		}
		switch m.Op {
		case opResult:
			c.mu.Lock()
			ch := c.pending[m.ID]
			delete(c.pending, m.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		case opCallback:
			go c.runCallback(m)
		}
	}
}

func (c *child) send(m *msg) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.enc.Encode(m); err != nil {
		return fmt.Errorf("remotemgr: writing to child %d: %w", c.cmd.Process.Pid, err)
	}
	return nil
}

// runCallback runs the function a child asked for and sends its results.
// A panic is sent back for the child's stand-in to repeat.
func (c *child) runCallback(m *msg) {
	r := &msg{Op: opReturn, ID: m.ID}
	c.p.mu.Lock()
	f, ok := c.p.funcs[m.Obj].(fn)
	c.p.mu.Unlock()
	c.p.sync()
	func() {
		defer func() {
			if v := recover(); v != nil {
				r.Panic = fmt.Sprint(v)
			}
		}()
		if !ok {
			panic(fmt.Sprintf("remotemgr: no function %d", m.Obj))
		}
		fv := reflect.ValueOf(f.f)
		for i, out := range fv.Call(nil) {
			if fv.Type().Out(i) == errorType {
				if !out.IsNil() {
					err := out.Interface().(error)
					r.Err = toErrInfo(err)
					r.Err.Refs = append(r.Err.Refs, f.m.register(err))
				}
				r.Results = append(r.Results, arg{Nil: true})
				continue
			}
			a, err := valueArg(out.Interface())
			if err != nil {
				panic(err.Error())
			}
			r.Results = append(r.Results, a)
		}
	}()
	c.p.sync()
	_ = c.send(r) // a failed send: the child is gone
}

// call runs method on the child's object obj and returns its results. It
// returns only once the child has answered (or died): when ctx ends first
// it sends the cancellation and goes on waiting, so that a cancelled call
// has finished when call returns.
func (c *child) call(ctx context.Context, obj, newID uint64, method string, args []arg) ([]arg, error) {
	id := c.p.nextID.Add(1)
	m := &msg{Op: opCall, ID: id, Obj: obj, New: newID, Method: method, Args: args}
	if d, ok := ctx.Deadline(); ok {
		m.Deadline = d
	}
	if err := ctx.Err(); err != nil {
		// Let the backend see a ctx that is already done, as it would in
		// process: a zero-length deadline in the past.
		m.Deadline = time.Unix(0, 1)
	}
	ch := make(chan *msg, 1)
	c.p.sync()
	defer c.p.sync()
	c.mu.Lock()
	c.pending[id] = ch
	c.mu.Unlock()
	if err := c.send(m); err != nil {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return nil, err
	}
	var r *msg
	select {
	case r = <-ch:
	case <-c.dead:
		return nil, c.err
	case <-ctx.Done():
		if err := c.send(&msg{Op: opCancel, ID: id}); err != nil {
			return nil, err
		}
		select {
		case r = <-ch:
		case <-c.dead:
			return nil, c.err
		}
	}
	return r.Results, r.Err.err(ctx, c.p.lookupErr)
}
