package remotemgr

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/latchkey/latchkey"
)

// op is a message's kind.
type op uint8

const (
	opCall     op = iota + 1 // parent → child: run Method on object Obj
	opCancel                 // parent → child: cancel call ID
	opResult                 // child → parent: call ID's results
	opCallback               // child → parent: run the parent's function Obj
	opReturn                 // parent → child: callback ID's results
)

// msg is every message, in both directions.
type msg struct {
	Op op
	// ID is the call's (opCall, opCancel, opResult) or the callback's
	// (opCallback, opReturn) number, chosen by the side that starts it.
	ID uint64
	// Obj is the object a call is on (0: the child itself, for opening a
	// manager), or the function a callback runs.
	Obj uint64
	// New is the id the child gives the handle or manager a call returns.
	New    uint64
	Method string
	Args   []arg
	// Deadline is the call's ctx deadline; zero when it has none.
	Deadline time.Time
	Results  []arg
	Err      *errInfo
	// Panic is set when a callback panicked in the parent: the child's
	// stand-in panics with it, so that the backend sees the panic.
	Panic string
}

// arg is one argument or result.
type arg struct {
	Val     any          // a plain value: see init for the types
	Nil     bool         // a nil interface, pointer or slice
	Obj     uint64       // a handle living in the same child
	Func    uint64       // a function living in the parent
	Barrier *barrierOpts // a *latchkey.BarrierOptions
}

// barrierOpts is a *latchkey.BarrierOptions on the wire: its Action stays
// in the parent.
type barrierOpts struct {
	Action  uint64 // 0: none
	Timeout time.Duration
}

// The ctx error an errInfo carries.
const (
	ctxNone uint8 = iota
	ctxCanceled
	ctxDeadline
)

// errInfo is an error on the wire: its Kind, message and ctx error.
type errInfo struct {
	Kind latchkey.Kind
	Msg  string
	Ctx  uint8
	// Refs are the ids of errors the parent's functions returned that
	// are in the error's chain: the parent puts the originals back, so
	// that errors.Is finds them.
	Refs []uint64
}

func init() {
	// The plain values the root API's methods take and return.
	for _, v := range []any{int(0), int64(0), float64(0), false, "", []byte(nil),
		[]int64(nil), []float64(nil), latchkey.Fence(0), latchkey.QueueOptions{}} {
		gob.Register(v)
	}
}

// plain reports whether v can travel as an arg's Val.
func plain(v any) bool {
	switch v.(type) {
	case int, int64, float64, bool, string, []byte, []int64, []float64, latchkey.Fence, latchkey.QueueOptions:
		return true
	}
	return false
}

// valueArg returns v as an arg: a nil slice as Nil, so that nil and empty
// stay distinct.
func valueArg(v any) (arg, error) {
	if v == nil {
		return arg{Nil: true}, nil
	}
	if !plain(v) {
		return arg{}, fmt.Errorf("remotemgr: cannot pass a %T to another process", v)
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.IsNil() {
		return arg{Nil: true}, nil
	}
	return arg{Val: v}, nil
}

// value returns a plain arg as a value of type t.
func (a arg) value(t reflect.Type) (reflect.Value, error) {
	if a.Nil || a.Val == nil {
		return reflect.Zero(t), nil
	}
	v := reflect.ValueOf(a.Val)
	if !v.Type().ConvertibleTo(t) {
		return reflect.Value{}, fmt.Errorf("remotemgr: a %s where a %s is expected", v.Type(), t)
	}
	return v.Convert(t), nil
}

// toErrInfo returns err on the wire.
func toErrInfo(err error) *errInfo {
	if err == nil {
		return nil
	}
	e := &errInfo{Kind: latchkey.KindOf(err), Msg: err.Error(), Refs: refs(err, nil)}
	switch {
	case errors.Is(err, context.Canceled):
		e.Ctx = ctxCanceled
	case errors.Is(err, context.DeadlineExceeded):
		e.Ctx = ctxDeadline
	}
	return e
}

// refs appends the Refs of every remoteError in err's tree to ids.
func refs(err error, ids []uint64) []uint64 {
	switch e := err.(type) {
	case nil:
		return ids
	case *remoteError:
		ids = append(ids, e.refs...)
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		ids = refs(u.Unwrap(), ids)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			ids = refs(e, ids)
		}
	}
	return ids
}

// remoteError is an error that came from the other process: its message,
// matching (errors.Is) its Kind's sentinel, its ctx error, and the
// parent's own errors it carries.
type remoteError struct {
	msg  string
	errs []error
	refs []uint64
}

func (e *remoteError) Error() string   { return e.msg }
func (e *remoteError) Unwrap() []error { return e.errs }

// err returns the error e describes; lookup returns the parent's error
// of a ref (nil in the child, which keeps the refs). A ctx error is reported as ctx's own
// when ctx is done: the child's ctx is a copy of ctx, and whether it ended
// by the copied deadline or by the cancellation sent after it is a race
// the caller must not see.
func (e *errInfo) err(ctx context.Context, lookup func(uint64) error) error {
	if e == nil {
		return nil
	}
	r := &remoteError{msg: e.Msg, refs: e.Refs}
	if lookup != nil {
		for _, id := range e.Refs {
			if err := lookup(id); err != nil {
				r.errs = append(r.errs, err)
			}
		}
	}
	if e.Kind != latchkey.KindOther {
		r.errs = append(r.errs, &latchkey.Error{Kind: e.Kind, Msg: e.Msg})
	}
	var ctxErr error
	switch e.Ctx {
	case ctxCanceled:
		ctxErr = context.Canceled
	case ctxDeadline:
		ctxErr = context.DeadlineExceeded
	}
	if ctxErr != nil && ctx.Err() != nil {
		ctxErr = ctx.Err()
	}
	if ctxErr != nil {
		r.errs = append(r.errs, ctxErr)
	}
	return r
}

var (
	ctxType     = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
	barrierType = reflect.TypeFor[*latchkey.BarrierOptions]()
)
