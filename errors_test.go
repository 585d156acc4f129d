package latchkey_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/latchkey/latchkey"
)

var sentinels = []*latchkey.Error{
	latchkey.ErrLocked, latchkey.ErrNoPermit, latchkey.ErrNotHeld, latchkey.ErrNotOwner,
	latchkey.ErrOverRelease, latchkey.ErrBrokenBarrier, latchkey.ErrEmpty, latchkey.ErrFull,
	latchkey.ErrShutDown, latchkey.ErrTaskDone, latchkey.ErrClosed, latchkey.ErrMismatch,
	latchkey.ErrInvalid, latchkey.ErrNotFound, latchkey.ErrOutOfRange, latchkey.ErrUnavailable,
	latchkey.ErrOwnerDied, latchkey.ErrDeadlock, latchkey.ErrLost,
}

// TestKindsAreWireStable pins the numeric value of every kind: they are
// part of the wire protocol and must never change.
func TestKindsAreWireStable(t *testing.T) {
	seen := map[latchkey.Kind]bool{}
	for i, e := range sentinels {
		if want := latchkey.Kind(i + 1); e.Kind != want {
			t.Errorf("%q has kind %d, want %d", e.Msg, e.Kind, want)
		}
		if seen[e.Kind] {
			t.Errorf("kind %d used twice", e.Kind)
		}
		seen[e.Kind] = true
		if e.Kind.String() == "" || e.Kind.String()[0] == 'k' {
			t.Errorf("kind %d has no name: %q", e.Kind, e.Kind.String())
		}
	}
	if got := latchkey.Kind(999).String(); got != "kind(999)" {
		t.Errorf("unknown kind String = %q", got)
	}
}

// TestDecodedErrorMatchesSentinel is what a remote backend relies on: an
// error rebuilt from its kind and message satisfies errors.Is with the
// sentinel, also when wrapped, and no other sentinel.
func TestDecodedErrorMatchesSentinel(t *testing.T) {
	for _, s := range sentinels {
		decoded := latchkey.Errorf(s.Kind, "remote: %s on %q", s.Kind, "x")
		wrapped := fmt.Errorf("call: %w", decoded)
		if !errors.Is(decoded, s) || !errors.Is(wrapped, s) {
			t.Errorf("decoded %v does not match %v", decoded, s)
		}
		if latchkey.KindOf(wrapped) != s.Kind {
			t.Errorf("KindOf(%v) = %v, want %v", wrapped, latchkey.KindOf(wrapped), s.Kind)
		}
		for _, other := range sentinels {
			if other != s && errors.Is(decoded, other) {
				t.Errorf("%v matches %v too", decoded, other)
			}
		}
	}
	other := latchkey.Errorf(latchkey.KindOther, "boom")
	if errors.Is(other, &latchkey.Error{Kind: latchkey.KindOther}) {
		t.Error("KindOther errors must not match each other")
	}
	if latchkey.KindOf(errors.New("plain")) != latchkey.KindOther {
		t.Error("KindOf(plain error) != KindOther")
	}
}

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"", false}, {"a", true}, {string(make([]byte, 255)), true}, {string(make([]byte, 256)), false},
	} {
		err := latchkey.CheckName(tc.name)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, latchkey.ErrInvalid)) {
			t.Errorf("CheckName(len %d) = %v", len(tc.name), err)
		}
	}
}
