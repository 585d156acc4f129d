package wire_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// sampleFrames returns frames of every type, including edge values.
func sampleFrames() []wire.Frame {
	var nonce [wire.NonceLen]byte
	var mac [wire.MACLen]byte
	for i := range nonce {
		nonce[i] = byte(i)
		mac[i] = byte(255 - i)
	}
	return []wire.Frame{
		&wire.Hello{Version: wire.Version},
		&wire.Hello{Version: wire.Version, MaxFrame: wire.MinMaxFrame, TTL: 10 * time.Second, SessionID: 42,
			Token: []byte("0123456789abcdef"), PID: 4242, Host: "host-1", Label: "worker"},
		&wire.Hello{Version: wire.Version, MaxFrame: wire.MaxMaxFrame, TTL: time.Duration(math.MaxInt64/int64(time.Millisecond)) * time.Millisecond,
			SessionID: math.MaxUint64, Token: bytes.Repeat([]byte{0xff}, wire.MaxTokenLen), PID: math.MaxUint64,
			Host: strings.Repeat("h", wire.MaxLabelLen), Label: strings.Repeat("é", wire.MaxLabelLen/2)},
		&wire.Challenge{Method: wire.AuthHMAC, Nonce: nonce},
		&wire.Auth{MAC: mac},
		&wire.Welcome{SessionID: 1, TTL: 15 * time.Second, MaxFrame: wire.DefaultMaxFrame, ServerVersion: "v0.1.0"},
		&wire.Welcome{SessionID: 7, Token: []byte{1, 2, 3}, Resumed: true},
		&wire.Request{ID: 1, Op: wire.OpOpen, Object: wire.ObjectQueue, Handle: 1, Name: "jobs", Ints: []int64{int64(latchkey.Priority), 10}},
		&wire.Request{ID: 2, Op: wire.OpQueuePut, Object: wire.ObjectQueue, Handle: 1, Name: "jobs", Bytes: [][]byte{[]byte("payload")}},
		&wire.Request{ID: math.MaxUint64, Op: 0xFFFF, Object: 0xFF, Handle: math.MaxUint64, Name: strings.Repeat("n", wire.MaxNameLen),
			Ints: []int64{0, 1, -1, math.MinInt64, math.MaxInt64}, Bytes: [][]byte{{}, {0}, bytes.Repeat([]byte("x"), 300)}},
		&wire.Request{},
		&wire.Response{ID: 2},
		&wire.Response{ID: 3, Ints: []int64{17}, Bytes: [][]byte{[]byte("item")}},
		&wire.Response{ID: 4, Status: wire.StatusError, Kind: latchkey.KindLocked, Message: "latchkey: locked"},
		&wire.Response{ID: 5, Status: wire.StatusError, Kind: latchkey.KindOwnerDied, Message: "previous owner died", Ints: []int64{99}},
		&wire.Response{ID: 6, Status: wire.StatusError, Kind: 0xFFFF},
		&wire.Response{ID: 7, Status: wire.StatusCanceled},
		&wire.Cancel{ID: 12},
		&wire.Cancel{ID: math.MaxUint64},
		&wire.Ping{Value: 0},
		&wire.Ping{Value: math.MaxUint64},
		&wire.Pong{Value: 1 << 40},
		&wire.Event{Code: wire.EventLost, Handle: 3, Name: "build", Message: "lock broken by operator"},
		&wire.Event{Code: 0xFFFF},
		&wire.Goodbye{Reason: wire.ReasonVersion, Message: "unsupported protocol version 2 (this side speaks 1)"},
		&wire.Goodbye{},
	}
}

// equalFrames compares two frames, treating nil and empty slices alike.
func equalFrames(a, b wire.Frame) bool {
	return reflect.DeepEqual(normalize(a), normalize(b))
}

func normalize(f wire.Frame) wire.Frame {
	norm := func(p []byte) []byte {
		if len(p) == 0 {
			return nil
		}
		return p
	}
	normInts := func(v []int64) []int64 {
		if len(v) == 0 {
			return nil
		}
		return v
	}
	normList := func(v [][]byte) [][]byte {
		if len(v) == 0 {
			return nil
		}
		out := make([][]byte, len(v))
		for i, p := range v {
			out[i] = append([]byte{}, p...) // empty, never nil: count matters
		}
		return out
	}
	switch f := f.(type) {
	case *wire.Hello:
		c := *f
		c.Token = norm(c.Token)
		return &c
	case *wire.Welcome:
		c := *f
		c.Token = norm(c.Token)
		return &c
	case *wire.Request:
		c := *f
		c.Ints, c.Bytes = normInts(c.Ints), normList(c.Bytes)
		return &c
	case *wire.Response:
		c := *f
		c.Ints, c.Bytes = normInts(c.Ints), normList(c.Bytes)
		return &c
	}
	return f
}

// roundTrip encodes f, decodes the result and checks the frame and the
// re-encoding are the same.
func roundTrip(t testing.TB, f wire.Frame) []byte {
	t.Helper()
	b, err := wire.Append(nil, f)
	if err != nil {
		t.Fatalf("Append(%#v): %v", f, err)
	}
	if n := binary.BigEndian.Uint32(b); int(n) != len(b)-4 {
		t.Fatalf("length prefix %d, payload %d bytes", n, len(b)-4)
	}
	if wire.Type(b[4]) != f.Type() {
		t.Fatalf("type byte %d, want %v", b[4], f.Type())
	}
	g, err := wire.Decode(b[4:])
	if err != nil {
		t.Fatalf("Decode(Append(%#v)) = %v\npayload %x", f, err, b[4:])
	}
	if !equalFrames(f, g) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", g, f)
	}
	b2, err := wire.Append(nil, g)
	if err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("re-encoding differs (%v):\n%x\n%x", err, b, b2)
	}
	p, err := wire.AppendPayload([]byte("keep"), f)
	if err != nil || string(p[:4]) != "keep" || !bytes.Equal(p[4:], b[4:]) {
		t.Fatalf("AppendPayload(%#v) = %x, %v; want keep then %x", f, p, err, b[4:])
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	seen := map[wire.Type]bool{}
	for _, f := range sampleFrames() {
		roundTrip(t, f)
		seen[f.Type()] = true
	}
	for ty := wire.TypeHello; ty <= wire.TypeGoodbye; ty++ {
		if !seen[ty] {
			t.Errorf("no sample of frame type %v", ty)
		}
	}
}

func TestAppendKeepsPrefix(t *testing.T) {
	prefix := []byte("prefix")
	b, err := wire.Append(prefix, &wire.Ping{Value: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, prefix) || hex.EncodeToString(b[len(prefix):]) != "000000020805" {
		t.Fatalf("Append = %x", b)
	}
}

func TestAppendRejects(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	for _, tc := range []struct {
		name string
		f    wire.Frame
		want error
	}{
		{"hello token", &wire.Hello{Version: 1, Token: make([]byte, wire.MaxTokenLen+1)}, wire.ErrTooLong},
		{"hello host", &wire.Hello{Version: 1, Host: long(wire.MaxLabelLen + 1)}, wire.ErrTooLong},
		{"hello label", &wire.Hello{Version: 1, Label: long(wire.MaxLabelLen + 1)}, wire.ErrTooLong},
		{"hello max frame small", &wire.Hello{Version: 1, MaxFrame: wire.MinMaxFrame - 1}, wire.ErrBadValue},
		{"hello max frame large", &wire.Hello{Version: 1, MaxFrame: wire.MaxMaxFrame + 1}, wire.ErrBadValue},
		{"hello negative ttl", &wire.Hello{Version: 1, TTL: -time.Millisecond}, wire.ErrBadValue},
		{"challenge method", &wire.Challenge{}, wire.ErrBadValue},
		{"welcome token", &wire.Welcome{Token: make([]byte, wire.MaxTokenLen+1)}, wire.ErrTooLong},
		{"welcome version", &wire.Welcome{ServerVersion: long(wire.MaxLabelLen + 1)}, wire.ErrTooLong},
		{"welcome negative ttl", &wire.Welcome{TTL: -1}, wire.ErrBadValue},
		{"request flags", &wire.Request{Flags: 2}, wire.ErrBadValue},
		{"request name", &wire.Request{Name: long(wire.MaxNameLen + 1)}, wire.ErrTooLong},
		{"request ints", &wire.Request{Ints: make([]int64, wire.MaxArgs+1)}, wire.ErrTooMany},
		{"request bytes", &wire.Request{Bytes: make([][]byte, wire.MaxArgs+1)}, wire.ErrTooMany},
		{"response message", &wire.Response{Status: wire.StatusError, Message: long(wire.MaxMessageLen + 1)}, wire.ErrTooLong},
		{"response ok with kind", &wire.Response{Kind: latchkey.KindLocked}, wire.ErrBadValue},
		{"response canceled with message", &wire.Response{Status: wire.StatusCanceled, Message: "x"}, wire.ErrBadValue},
		{"response status", &wire.Response{Status: 3}, wire.ErrBadValue},
		{"response bytes", &wire.Response{Bytes: make([][]byte, wire.MaxArgs+1)}, wire.ErrTooMany},
		{"event name", &wire.Event{Name: long(wire.MaxNameLen + 1)}, wire.ErrTooLong},
		{"event message", &wire.Event{Message: long(wire.MaxMessageLen + 1)}, wire.ErrTooLong},
		{"goodbye message", &wire.Goodbye{Message: long(wire.MaxMessageLen + 1)}, wire.ErrTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte("keep")
			b, err := wire.Append(dst, tc.f)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Append error %v, want %v", err, tc.want)
			}
			if string(b) != "keep" {
				t.Fatalf("Append extended dst on error: %q", b)
			}
			b, err = wire.AppendPayload(dst, tc.f)
			if !errors.Is(err, tc.want) || string(b) != "keep" {
				t.Fatalf("AppendPayload = %q, %v; want keep, %v", b, err, tc.want)
			}
		})
	}
}

func TestTTLMilliseconds(t *testing.T) {
	b, err := wire.Append(nil, &wire.Hello{Version: wire.Version, TTL: 1500*time.Microsecond + 999})
	if err != nil {
		t.Fatal(err)
	}
	var h wire.Hello
	if err := h.Decode(b[4:]); err != nil {
		t.Fatal(err)
	}
	if h.TTL != time.Millisecond {
		t.Fatalf("TTL = %v, want 1ms (whole milliseconds)", h.TTL)
	}
}

// TestDecodeMalformed checks that each kind of malformed payload gives a
// *FormatError wrapping the right reason and naming the right field.
func TestDecodeMalformed(t *testing.T) {
	for _, tc := range []struct {
		name, hex string
		want      error
		field     string
	}{
		{"empty", "", wire.ErrTruncated, "type"},
		{"unknown type", "0c", wire.ErrBadValue, "type"},
		{"type zero", "00", wire.ErrBadValue, "type"},
		{"ping truncated", "08", wire.ErrTruncated, "value"},
		{"ping varint truncated", "0880", wire.ErrTruncated, "value"},
		{"ping trailing", "080100", wire.ErrTrailing, "end"},
		{"ping non-minimal", "088000", wire.ErrNonCanonical, "value"},
		{"ping non-minimal 2", "08ff00", wire.ErrNonCanonical, "value"},
		{"ping overflow 11 bytes", "08ffffffffffffffffffff01", wire.ErrOverflow, "value"},
		{"ping overflow 10th byte", "08ffffffffffffffffff02", wire.ErrOverflow, "value"},
		{"hello bad magic", "014c4b4559", wire.ErrTruncated, "version"},
		{"hello wrong magic", "014c4b45580001", wire.ErrBadValue, "magic"},
		{"hello short magic", "014c4b", wire.ErrTruncated, "magic"},
		{"hello max frame", "014c4b455900020100000000000000", wire.ErrBadValue, "max_frame"},
		{"hello token too long", "014c4b4559000200000041", wire.ErrTooLong, "token"},
		{"hello ttl overflow", "014c4b45590002" + "00" + "ffffffffffffffffff01", wire.ErrOverflow, "ttl"},
		{"challenge method", "0202" + strings.Repeat("00", 32), wire.ErrBadValue, "method"},
		{"challenge short nonce", "0201" + strings.Repeat("00", 31), wire.ErrTruncated, "nonce"},
		{"auth long", "03" + strings.Repeat("00", 33), wire.ErrTrailing, "end"},
		{"welcome flags", "0401000000" + "02" + "00", wire.ErrBadValue, "flags"},
		{"request flags", "050102", wire.ErrBadValue, "flags"},
		{"request op overflow", "050100808004", wire.ErrOverflow, "op"},
		{"request name too long", "0501000101" + "01" + "8002", wire.ErrTooLong, "name"},
		{"request name truncated", "0501000101" + "01" + "0561", wire.ErrTruncated, "name"},
		{"request ints count", "0501000101" + "01" + "00" + "05" + "00", wire.ErrTruncated, "ints"},
		{"request ints too many", "0501000101" + "01" + "00" + "818004", wire.ErrTooMany, "ints"},
		{"request bytes element", "0501000101" + "01" + "00" + "00" + "02" + "00" + "05", wire.ErrTruncated, "bytes"},
		{"response status", "060103", wire.ErrBadValue, "status"},
		{"response kind overflow", "06010180800400", wire.ErrOverflow, "kind"},
		{"event code overflow", "0a80800400", wire.ErrOverflow, "code"},
		{"goodbye message too long", "0b00" + "8108", wire.ErrTooLong, "message"},
		{"goodbye truncated", "0b", wire.ErrTruncated, "reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := hex.DecodeString(tc.hex)
			if err != nil {
				t.Fatal(err)
			}
			f, err := wire.Decode(p)
			if err == nil {
				t.Fatalf("Decode(%s) = %#v, want error", tc.hex, f)
			}
			var fe *wire.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("Decode(%s) error %T %v, want *FormatError", tc.hex, err, err)
			}
			if !errors.Is(err, tc.want) || fe.Field != tc.field {
				t.Fatalf("Decode(%s) = %v (field %q), want %v in field %q", tc.hex, err, fe.Field, tc.want, tc.field)
			}
			if !strings.HasPrefix(err.Error(), "wire: malformed ") {
				t.Fatalf("message %q", err)
			}
		})
	}
}

func TestDecodeWrongTypeMethod(t *testing.T) {
	b, _ := wire.Append(nil, &wire.Ping{Value: 1})
	var q wire.Request
	if err := q.Decode(b[4:]); !errors.Is(err, wire.ErrBadValue) {
		t.Fatalf("Request.Decode(ping) = %v, want ErrBadValue", err)
	}
}

func TestHelloVersion(t *testing.T) {
	b, err := wire.Append(nil, &wire.Hello{Version: wire.Version + 1, Label: "future"})
	if err != nil {
		t.Fatal(err)
	}
	// A future client's Hello may have any layout after the version.
	p := append(b[4:4+7:4+7], 0xde, 0xad)
	var h wire.Hello
	err = h.Decode(p)
	var ve *wire.VersionError
	if !errors.As(err, &ve) || ve.Version != wire.Version+1 || h.Version != wire.Version+1 {
		t.Fatalf("Decode = %v, Version %d; want *VersionError for %d", err, h.Version, wire.Version+1)
	}
	if f, err := wire.Decode(p); f != nil || !errors.As(err, &ve) {
		t.Fatalf("wire.Decode = %v, %v", f, err)
	}
	if got := err.Error(); got != "wire: unsupported protocol version 3 (this side speaks 2)" {
		t.Fatalf("message %q", got)
	}
}

func TestDecodeReuse(t *testing.T) {
	first, _ := wire.Append(nil, &wire.Request{ID: 1, Op: wire.OpDictUpdate, Name: "cfg", Handle: 3,
		Ints: []int64{1, 2, 3}, Bytes: [][]byte{[]byte("a"), []byte("b"), []byte("c"), []byte("d")}})
	second, _ := wire.Append(nil, &wire.Request{ID: 2, Op: wire.OpDictLen, Name: "cfg", Handle: 3})
	var q wire.Request
	if err := q.Decode(first[4:]); err != nil {
		t.Fatal(err)
	}
	name := q.Name
	if err := q.Decode(second[4:]); err != nil {
		t.Fatal(err)
	}
	if q.ID != 2 || q.Op != wire.OpDictLen || len(q.Ints) != 0 || len(q.Bytes) != 0 {
		t.Fatalf("stale fields after reuse: %#v", q)
	}
	if unsafe.StringData(name) != unsafe.StringData(q.Name) {
		t.Errorf("unchanged name was reallocated")
	}
	// The reused Bytes backing array keeps no reference into the old payload.
	if full := q.Bytes[:4]; full[0] != nil || full[3] != nil {
		t.Errorf("reused Bytes keeps stale references: %q", full)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := q.Decode(first[4:]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Decode into a reused Request: %v allocs, want 0", allocs)
	}
}

func TestDecodedBytesAreCapped(t *testing.T) {
	b, _ := wire.Append(nil, &wire.Response{ID: 1, Bytes: [][]byte{[]byte("ab"), []byte("cd")}})
	var r wire.Response
	if err := r.Decode(b[4:]); err != nil {
		t.Fatal(err)
	}
	_ = append(r.Bytes[0], 'X') // must not overwrite "cd" in the payload
	if string(r.Bytes[1]) != "cd" {
		t.Fatalf("append to a decoded element overwrote the payload: %q", r.Bytes[1])
	}
}

func TestClone(t *testing.T) {
	b, _ := wire.Append(nil, &wire.Request{ID: 1, Op: wire.OpQueuePut, Name: "q", Ints: []int64{5}, Bytes: [][]byte{[]byte("item"), {}, []byte("x")}})
	var q wire.Request
	if err := q.Decode(b[4:]); err != nil {
		t.Fatal(err)
	}
	c := q.Clone()
	clear(b)
	if string(c.Bytes[0]) != "item" || len(c.Bytes[1]) != 0 || string(c.Bytes[2]) != "x" || c.Ints[0] != 5 {
		t.Fatalf("clone shares memory with the payload: %#v", c)
	}
	rb, _ := wire.Append(nil, &wire.Response{ID: 1, Bytes: [][]byte{[]byte("v")}})
	var r wire.Response
	if err := r.Decode(rb[4:]); err != nil {
		t.Fatal(err)
	}
	rc := r.Clone()
	clear(rb)
	if string(rc.Bytes[0]) != "v" {
		t.Fatalf("response clone shares memory: %q", rc.Bytes[0])
	}
}
