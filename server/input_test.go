package server

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/wire"
)

// TestInputRoundTrip: every kind of log record decodes to the input it
// was made from, after other bytes in the buffer; a cut record is refused.
func TestInputRoundTrip(t *testing.T) {
	req := &wire.Request{ID: 9, Flags: wire.FlagAck, Ack: 3, Op: wire.OpQueuePut, Object: wire.ObjectQueue, Handle: 2,
		Name: "q", Ints: []int64{5}, Bytes: [][]byte{[]byte("item")}}
	for _, in := range []*input{
		{kind: inHello, sid: 1, ttl: 10 * time.Second, maxFrame: 4096, token: []byte{1, 2}, pid: 7, host: "h", label: "l"},
		{kind: inAttach, sid: 1, ttl: time.Second, maxFrame: 1 << 20},
		{kind: inDetach, sid: 2},
		{kind: inRequest, sid: 3, req: req},
		{kind: inCancel, sid: 3, rid: 9},
		{kind: inEnd, sid: 4},
		{kind: inRestart},
		{kind: inEpoch, base: 1 << 40},
	} {
		b, err := appendInput([]byte("prefix"), in)
		if err != nil {
			t.Fatalf("kind %d: %v", in.kind, err)
		}
		rec := b[len("prefix"):]
		got, err := decodeInput(rec)
		if err != nil || !reflect.DeepEqual(got, in) {
			t.Fatalf("kind %d: decoded %+v, %v; want %+v", in.kind, got, err, in)
		}
		if _, err := decodeInput(rec[:len(rec)-1]); !errors.Is(err, errBadRecord) {
			t.Fatalf("kind %d: a cut record decoded: %v", in.kind, err)
		}
	}
}
