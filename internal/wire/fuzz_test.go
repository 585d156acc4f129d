package wire_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// The fuzz targets run their seeds in every `go test`; run them for real
// with, e.g., go test -run '^$' -fuzz FuzzDecode -fuzztime 30s ./internal/wire

// fuzzMaxFrame is the Reader limit in FuzzDecode.
const fuzzMaxFrame = 64 << 10

// FuzzDecode feeds arbitrary bytes to the Reader and the decoders. Nothing
// may panic; allocation stays within a small multiple of the input (plus
// the Reader's fixed buffers), however large the lengths and counts it
// announces; and whatever decodes re-encodes to exactly the same bytes
// (the encoding is canonical).
func FuzzDecode(f *testing.F) {
	s := stream(f, sampleFrames())
	f.Add(s)
	for _, fr := range sampleFrames() {
		b, _ := wire.Append(nil, fr)
		f.Add(b)
		f.Add(b[4:])
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 5})
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 12, 5, 1, 0, 1, 1, 1, 0, 0x81, 0x80, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		before := heapAllocs()
		checkDecode(t, data) // the input as one payload
		r := wire.NewReader(bytes.NewReader(data), fuzzMaxFrame)
		for {
			_, p, err := r.ReadFrame()
			if err != nil {
				var fse *wire.FrameSizeError
				if err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.As(err, &fse) {
					t.Fatalf("ReadFrame: unexpected error %T %v", err, err)
				}
				break
			}
			checkDecode(t, p)
		}
		// Decoding allocates per element at most a slice header (24 bytes)
		// or an int64, plus the copies made to check; the Reader holds a
		// 32 KiB bufio buffer and a payload buffer of at most its limit.
		limit := uint64(64*len(data) + 32<<10 + fuzzMaxFrame + 256<<10)
		if got := heapAllocs() - before; got > limit {
			t.Fatalf("decoding %d bytes allocated %d bytes (limit %d)", len(data), got, limit)
		}
	})
}

// checkDecode decodes p; if it decodes, it must re-encode to p.
func checkDecode(t *testing.T, p []byte) {
	fr, err := wire.Decode(p)
	if err != nil {
		var fe *wire.FormatError
		var ve *wire.VersionError
		if !errors.As(err, &fe) && !errors.As(err, &ve) {
			t.Fatalf("Decode: error %T %v, want *FormatError or *VersionError", err, err)
		}
		if err.Error() == "" {
			t.Fatal("empty error message")
		}
		return
	}
	b, err := wire.Append(nil, fr)
	if err != nil {
		t.Fatalf("re-encoding a decoded %v: %v", fr.Type(), err)
	}
	if !bytes.Equal(b[4:], p) {
		t.Fatalf("not canonical: %x decodes to %#v, which encodes to %x", p, fr, b[4:])
	}
}

var allocSample = []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}

func heapAllocs() uint64 {
	metrics.Read(allocSample)
	return allocSample[0].Value.Uint64()
}

// FuzzRoundTrip builds a frame of each type from the fuzz input and checks
// decode(encode(x)) == x and that the encoding is canonical.
func FuzzRoundTrip(f *testing.F) {
	f.Add(uint8(0), uint64(1), int64(0), "", []byte(nil))
	f.Add(uint8(4), uint64(7), int64(-5), "jobs", []byte("payload\x00second\x00"))
	f.Add(uint8(5), uint64(1<<63), int64(0x0803), "queue", []byte{0, 1, 2, 0xff, 0x80})
	f.Add(uint8(9), uint64(3), int64(1), "lock", []byte("released by operator"))
	f.Fuzz(func(t *testing.T, kind uint8, id uint64, x int64, s string, data []byte) {
		roundTrip(t, buildFrame(kind, id, x, s, data))
	})
}

// buildFrame makes a valid frame of type kind%11+1 from arbitrary values,
// cutting fields to their limits.
func buildFrame(kind uint8, id uint64, x int64, s string, data []byte) wire.Frame {
	cut := func(s string, n int) string { return s[:min(len(s), n)] }
	cutb := func(b []byte, n int) []byte { return b[:min(len(b), n)] }
	maxFrame := func(v uint64) uint32 {
		if v%3 == 0 {
			return 0
		}
		return uint32(wire.MinMaxFrame + v%(wire.MaxMaxFrame-wire.MinMaxFrame+1))
	}
	ttl := time.Duration(uint64(x)%(1<<40)) * time.Millisecond
	var ints []int64
	for b := data; len(b) > 0; {
		var buf [8]byte
		n := copy(buf[:], b)
		b = b[n:]
		ints = append(ints, int64(binary.LittleEndian.Uint64(buf[:]))>>(x&63))
	}
	var list [][]byte
	if len(data) > 0 {
		list = bytes.Split(data[1:], data[:1])
	}
	switch wire.Type(kind%11 + 1) {
	case wire.TypeHello:
		return &wire.Hello{Version: wire.Version, MaxFrame: maxFrame(id), TTL: ttl, SessionID: id,
			Token: cutb(data, wire.MaxTokenLen), PID: uint64(x), Host: cut(s, wire.MaxLabelLen), Label: cut(string(data), wire.MaxLabelLen)}
	case wire.TypeChallenge:
		c := &wire.Challenge{Method: wire.AuthHMAC}
		copy(c.Nonce[:], data)
		return c
	case wire.TypeAuth:
		a := &wire.Auth{}
		copy(a.MAC[:], s)
		return a
	case wire.TypeWelcome:
		return &wire.Welcome{SessionID: id, Token: cutb(data, wire.MaxTokenLen), TTL: ttl, MaxFrame: maxFrame(uint64(x)),
			Resumed: x&1 == 1, ServerVersion: cut(s, wire.MaxLabelLen)}
	case wire.TypeRequest:
		return &wire.Request{ID: id, Op: wire.Op(x), Object: wire.ObjectType(x >> 16), Handle: id ^ uint64(x),
			Name: cut(s, wire.MaxNameLen), Ints: ints, Bytes: list}
	case wire.TypeResponse:
		r := &wire.Response{ID: id, Status: wire.Status(uint64(x) % 3), Ints: ints, Bytes: list}
		if r.Status == wire.StatusError {
			r.Kind, r.Message = latchkey.Kind(x>>8), cut(s, wire.MaxMessageLen)
		}
		return r
	case wire.TypeCancel:
		return &wire.Cancel{ID: id}
	case wire.TypePing:
		return &wire.Ping{Value: id}
	case wire.TypePong:
		return &wire.Pong{Value: uint64(x)}
	case wire.TypeEvent:
		return &wire.Event{Code: wire.EventCode(x), Handle: id, Name: cut(s, wire.MaxNameLen), Message: cut(string(data), wire.MaxMessageLen)}
	default:
		return &wire.Goodbye{Reason: wire.Reason(id), Message: cut(s, wire.MaxMessageLen)}
	}
}

// FuzzSplit encodes several frames built from the fuzz input into one
// stream, then reads it back through a reader that returns short reads of
// sizes taken from the input. The frames must come back unchanged.
func FuzzSplit(f *testing.F) {
	f.Add([]byte("\x04jobs\x00payload\x05\x01\x02\x03"), []byte{1, 2, 3})
	f.Add([]byte("abcdefghijklmnopqrstuvwxyz0123456789"), []byte{0})
	f.Add(bytes.Repeat([]byte{0xa5, 0x11, 0x05}, 200), []byte{200, 7, 1, 64})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		frames := framesFrom(data)
		b := stream(t, frames)
		r := wire.NewReader(&choppyReader{b: b, cuts: cuts}, 0)
		var q wire.Request
		var resp wire.Response
		for i, want := range frames {
			ty, p, err := r.ReadFrame()
			if err != nil {
				t.Fatalf("frame %d of %d: %v", i, len(frames), err)
			}
			if ty != want.Type() {
				t.Fatalf("frame %d: type %v, want %v", i, ty, want.Type())
			}
			// Decode the hot-path types into reused structs, as a
			// connection's read loop does, and the others with Decode.
			var got wire.Frame
			switch ty {
			case wire.TypeRequest:
				err, got = q.Decode(p), &q
			case wire.TypeResponse:
				err, got = resp.Decode(p), &resp
			default:
				got, err = wire.Decode(p)
			}
			if err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			if !equalFrames(want, got) {
				t.Fatalf("frame %d:\n got %#v\nwant %#v", i, got, want)
			}
		}
		if _, _, err := r.ReadFrame(); err != io.EOF {
			t.Fatalf("after the last frame: %v, want io.EOF", err)
		}
	})
}

// framesFrom cuts data into pieces and builds a frame from each.
func framesFrom(data []byte) []wire.Frame {
	var frames []wire.Frame
	for len(data) > 0 && len(frames) < 64 {
		n := min(len(data), 1+int(data[0])%48)
		piece := data[:n]
		data = data[n:]
		var id uint64
		var x int64
		if len(piece) > 1 {
			id = uint64(piece[1]) << (piece[0] % 57)
		}
		if len(piece) > 2 {
			x = int64(piece[2]) - 128
		}
		frames = append(frames, buildFrame(piece[0], id, x, string(piece[min(3, len(piece)):]), piece))
	}
	return frames
}

// choppyReader returns reads of the sizes in cuts, in turn (a zero size
// returns one byte).
type choppyReader struct {
	b    []byte
	cuts []byte
	i    int
}

func (c *choppyReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(c.cuts) > 0 {
		n = max(1, int(c.cuts[c.i%len(c.cuts)]))
		c.i++
	}
	n = copy(p[:min(len(p), n)], c.b)
	c.b = c.b[n:]
	return n, nil
}
