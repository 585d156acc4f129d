package wire_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/iotest"

	"github.com/latchkey/latchkey/internal/wire"
)

// stream encodes frames back to back.
func stream(t testing.TB, frames []wire.Frame) []byte {
	t.Helper()
	var b []byte
	for _, f := range frames {
		var err error
		if b, err = wire.Append(b, f); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// readAll reads and decodes frames until io.EOF.
func readAll(t testing.TB, r *wire.Reader) ([]wire.Frame, error) {
	t.Helper()
	var out []wire.Frame
	for {
		_, p, err := r.ReadFrame()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		f, err := wire.Decode(bytes.Clone(p))
		if err != nil {
			return out, err
		}
		out = append(out, f)
	}
}

func TestReaderShortReads(t *testing.T) {
	frames := sampleFrames()
	b := stream(t, frames)
	for name, src := range map[string]io.Reader{
		"whole":   bytes.NewReader(b),
		"onebyte": iotest.OneByteReader(bytes.NewReader(b)),
		"half":    iotest.HalfReader(bytes.NewReader(b)),
		"dataerr": iotest.DataErrReader(bytes.NewReader(b)),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := readAll(t, wire.NewReader(src, 0))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(frames) {
				t.Fatalf("read %d frames, want %d", len(got), len(frames))
			}
			for i := range frames {
				if !equalFrames(frames[i], got[i]) {
					t.Errorf("frame %d: got %#v, want %#v", i, got[i], frames[i])
				}
			}
		})
	}
}

func TestReaderEOF(t *testing.T) {
	full := stream(t, []wire.Frame{&wire.Ping{Value: 300}})
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty stream", nil, io.EOF},
		{"inside header", full[:2], io.ErrUnexpectedEOF},
		{"after header", full[:4], io.ErrUnexpectedEOF},
		{"inside payload", full[:len(full)-1], io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := wire.NewReader(bytes.NewReader(tc.in), 0)
			_, _, err := r.ReadFrame()
			if !errors.Is(err, tc.want) || (tc.want == io.EOF && err != io.EOF) {
				t.Fatalf("ReadFrame = %v, want %v", err, tc.want)
			}
			if _, _, err2 := r.ReadFrame(); err2 != err {
				t.Fatalf("error not sticky: %v then %v", err, err2)
			}
		})
	}
}

func TestReaderFrameSize(t *testing.T) {
	hdr := func(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
	for _, tc := range []struct {
		name  string
		in    []byte
		limit int
		size  uint64
	}{
		{"zero", hdr(0), 0, 0},
		{"above default", hdr(wire.DefaultMaxFrame + 1), 0, wire.DefaultMaxFrame + 1},
		{"above custom", hdr(5000), 4999, 5000},
		{"max uint32", hdr(0xFFFFFFFF), wire.MaxMaxFrame, 0xFFFFFFFF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := wire.NewReader(bytes.NewReader(tc.in), tc.limit)
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			_, _, err := r.ReadFrame()
			runtime.ReadMemStats(&ms1)
			var fse *wire.FrameSizeError
			if !errors.As(err, &fse) || fse.Size != tc.size || fse.Limit != r.MaxFrame() {
				t.Fatalf("ReadFrame = %v, want *FrameSizeError of %d", err, tc.size)
			}
			if d := ms1.TotalAlloc - ms0.TotalAlloc; d > 64<<10 {
				t.Errorf("refusing the frame allocated %d bytes", d)
			}
			if _, _, err2 := r.ReadFrame(); err2 != err {
				t.Fatalf("error not sticky: %v then %v", err, err2)
			}
		})
	}
}

func TestReaderLimitBoundary(t *testing.T) {
	big := &wire.Response{ID: 1, Bytes: [][]byte{make([]byte, 5000)}}
	b := stream(t, []wire.Frame{big})
	n := len(b) - 4
	if _, _, err := wire.NewReader(bytes.NewReader(b), n).ReadFrame(); err != nil {
		t.Fatalf("frame of exactly the limit: %v", err)
	}
	if _, _, err := wire.NewReader(bytes.NewReader(b), n-1).ReadFrame(); err == nil {
		t.Fatal("frame one byte over the limit was accepted")
	}
}

func TestReaderClamp(t *testing.T) {
	for in, want := range map[int]int{
		-1: wire.DefaultMaxFrame, 0: wire.DefaultMaxFrame, 1: wire.MinMaxFrame,
		wire.MinMaxFrame: wire.MinMaxFrame, 1 << 25: 1 << 25, 1 << 40: wire.MaxMaxFrame,
	} {
		if got := wire.NewReader(nil, in).MaxFrame(); got != want {
			t.Errorf("NewReader(_, %d).MaxFrame() = %d, want %d", in, got, want)
		}
		if got := wire.NewWriter(nil, in).MaxFrame(); got != want {
			t.Errorf("NewWriter(_, %d).MaxFrame() = %d, want %d", in, got, want)
		}
	}
}

// TestReaderBufferReuse checks the payload buffer is reused for small
// frames and dropped after a large one.
func TestReaderBufferReuse(t *testing.T) {
	small := &wire.Ping{Value: 1}
	large := &wire.Response{ID: 2, Bytes: [][]byte{make([]byte, 200<<10)}}
	b := stream(t, []wire.Frame{small, small, large, small, small})
	r := wire.NewReader(bytes.NewReader(b), 0)
	var prev []byte
	for i := range 5 {
		ty, p, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 && &p[0] != &prev[0] {
			t.Error("small frames did not share the buffer")
		}
		if i == 2 && (ty != wire.TypeResponse || len(p) < 200<<10) {
			t.Errorf("frame 2: %v of %d bytes", ty, len(p))
		}
		if i == 3 && cap(p) > 64<<10 {
			t.Errorf("large buffer kept after a small frame: cap %d", cap(p))
		}
		prev = p
	}
	var pings []wire.Frame
	for i := range 300 {
		pings = append(pings, &wire.Ping{Value: uint64(i)})
	}
	r = wire.NewReader(bytes.NewReader(stream(t, pings)), 0)
	_, _, _ = r.ReadFrame()
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, err := r.ReadFrame(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ReadFrame: %v allocs per frame, want 0", allocs)
	}
}

func TestReaderThroughPipe(t *testing.T) {
	frames := sampleFrames()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		w := wire.NewWriter(pw, 0)
		for _, f := range frames {
			if err := w.Write(f); err != nil {
				done <- err
				return
			}
			if err := w.Flush(); err != nil {
				done <- err
				return
			}
		}
		done <- pw.Close()
	}()
	got, err := readAll(t, wire.NewReader(pr, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(got) != len(frames) {
		t.Fatalf("read %d frames, want %d", len(got), len(frames))
	}
}
