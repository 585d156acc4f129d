package wire_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// TestResponseErrRoundTrip checks that every root sentinel survives
// SetErr, the wire and Err as an error matching the same sentinel.
func TestResponseErrRoundTrip(t *testing.T) {
	sentinels := []error{
		latchkey.ErrLocked, latchkey.ErrNoPermit, latchkey.ErrNotHeld, latchkey.ErrNotOwner,
		latchkey.ErrOverRelease, latchkey.ErrBrokenBarrier, latchkey.ErrEmpty, latchkey.ErrFull,
		latchkey.ErrShutDown, latchkey.ErrTaskDone, latchkey.ErrClosed, latchkey.ErrMismatch,
		latchkey.ErrInvalid, latchkey.ErrNotFound, latchkey.ErrOutOfRange, latchkey.ErrUnavailable,
		latchkey.ErrOwnerDied, latchkey.ErrDeadlock, latchkey.ErrLost,
	}
	for _, s := range sentinels {
		for _, err := range []error{s, fmt.Errorf("server: queue %q: %w", "jobs", s), latchkey.Errorf(latchkey.KindOf(s), "detail")} {
			r := wire.Response{ID: 9, Ints: []int64{3}}
			r.SetErr(err)
			b, e := wire.Append(nil, &r)
			if e != nil {
				t.Fatal(e)
			}
			var got wire.Response
			if e := got.Decode(b[4:]); e != nil {
				t.Fatal(e)
			}
			if got.Status != wire.StatusError || !errors.Is(got.Err(), s) || got.Err().Error() != err.Error() || got.Ints[0] != 3 {
				t.Errorf("%v: decoded %#v, Err %v", err, got, got.Err())
			}
		}
	}
}

func TestResponseSetErr(t *testing.T) {
	var r wire.Response
	r.SetErr(errors.New("disk on fire"))
	if r.Status != wire.StatusError || r.Kind != latchkey.KindOther || r.Message != "disk on fire" {
		t.Fatalf("plain error: %#v", r)
	}
	if errors.Is(r.Err(), latchkey.ErrLocked) {
		t.Fatal("KindOther matches a sentinel")
	}
	for _, err := range []error{context.Canceled, context.DeadlineExceeded, fmt.Errorf("wait: %w", context.Canceled)} {
		r.SetErr(err)
		if r.Status != wire.StatusCanceled || r.Kind != 0 || r.Message != "" || r.Err() != wire.ErrCanceled {
			t.Fatalf("SetErr(%v): %#v", err, r)
		}
	}
	r.SetErr(nil)
	if r.Status != wire.StatusOK || r.Err() != nil {
		t.Fatalf("SetErr(nil): %#v", r)
	}
	long := strings.Repeat("é", wire.MaxMessageLen) // 2 bytes per rune
	r.SetErr(errors.New("x" + long))
	if len(r.Message) > wire.MaxMessageLen || !utf8.ValidString(r.Message) || len(r.Message) < wire.MaxMessageLen-1 {
		t.Fatalf("truncated message: %d bytes, valid %v", len(r.Message), utf8.ValidString(r.Message))
	}
	if _, err := wire.Append(nil, &r); err != nil {
		t.Fatalf("truncated message does not encode: %v", err)
	}
	bad := wire.Response{Status: 7}
	if err := bad.Err(); !errors.Is(err, wire.ErrBadValue) {
		t.Fatalf("Err of status 7 = %v", err)
	}
}

func TestAuth(t *testing.T) {
	key := []byte("k")
	var nonce [wire.NonceLen]byte
	hello, _ := wire.Append(nil, &wire.Hello{Version: wire.Version, SessionID: 5, Token: []byte("tok")})
	mac := wire.AuthMAC(key, &nonce, hello[4:])
	if !wire.CheckAuth(key, &nonce, hello[4:], &mac) {
		t.Fatal("valid MAC refused")
	}
	other, _ := wire.Append(nil, &wire.Hello{Version: wire.Version, SessionID: 6, Token: []byte("tok")})
	if wire.CheckAuth(key, &nonce, other[4:], &mac) {
		t.Fatal("MAC accepted for another Hello")
	}
	nonce[0] = 1
	if wire.CheckAuth(key, &nonce, hello[4:], &mac) {
		t.Fatal("MAC accepted for another nonce")
	}
}

func TestStrings(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{wire.TypeRequest.String(), "request"},
		{wire.Type(0).String(), "type(0)"},
		{wire.Type(200).String(), "type(200)"},
		{wire.ObjectQueue.String(), "Queue"},
		{wire.ObjectType(99).String(), "object(99)"},
		{wire.OpQueuePut.String(), "Queue.Put"},
		{wire.Op(0x0BFF).String(), "op(0x0bff)"},
		{wire.StatusCanceled.String(), "canceled"},
		{wire.Status(9).String(), "status(9)"},
		{wire.ReasonSuperseded.String(), "superseded"},
		{wire.Reason(99).String(), "reason(99)"},
		{wire.EventLost.String(), "lost"},
		{wire.EventCode(2).String(), "event(2)"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if wire.Op(0x0BFF).Known() || wire.Op(0x0BFF).Blocking() || !wire.OpQueueGet.Blocking() || wire.OpQueueLen.Blocking() {
		t.Error("Known/Blocking")
	}
	if wire.OpFloatArrayLoad.Object() != wire.ObjectFloatArray || wire.OpOpen.Object() != wire.ObjectNone {
		t.Error("Object")
	}
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&wire.FrameSizeError{Size: 0, Limit: 10}, "wire: frame of length 0: a payload holds at least its type byte"},
		{&wire.FrameSizeError{Size: 11, Limit: 10}, "wire: frame of 11 bytes exceeds the limit of 10"},
		{&wire.FormatError{Frame: wire.TypeRequest, Field: "bytes", Index: 2, Offset: 9, Err: wire.ErrTruncated},
			"wire: malformed request frame: bytes[2] at offset 9: payload ends inside a field"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
