package wire_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/latchkey/latchkey/internal/wire"
)

func TestWriterBuffersUntilFlush(t *testing.T) {
	var out bytes.Buffer
	w := wire.NewWriter(&out, 0)
	frames := sampleFrames()
	for _, f := range frames {
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if out.Len() != 0 {
		t.Fatalf("wrote %d bytes before Flush", out.Len())
	}
	want := stream(t, frames)
	if w.Buffered() != len(want) {
		t.Fatalf("Buffered = %d, want %d", w.Buffered(), len(want))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) || w.Buffered() != 0 {
		t.Fatalf("Flush wrote %d bytes, want %d", out.Len(), len(want))
	}
	if err := w.Flush(); err != nil || out.Len() != len(want) {
		t.Fatalf("empty Flush: %v", err)
	}
}

type countingWriter struct {
	calls int
	bytes.Buffer
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.calls++
	return c.Buffer.Write(p)
}

func TestWriterWritesThroughWhenFull(t *testing.T) {
	var out countingWriter
	w := wire.NewWriter(&out, 0)
	item := &wire.Request{ID: 1, Op: wire.OpQueuePut, Name: "q", Bytes: [][]byte{make([]byte, 1000)}}
	for range 100 {
		if err := w.Write(item); err != nil {
			t.Fatal(err)
		}
	}
	if out.calls == 0 {
		t.Fatal("100 KB buffered without a write")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, wire.NewReader(&out.Buffer, 0))
	if err != nil || len(got) != 100 {
		t.Fatalf("read back %d frames: %v", len(got), err)
	}
}

func TestWriterFrameTooLarge(t *testing.T) {
	var out bytes.Buffer
	w := wire.NewWriter(&out, wire.MinMaxFrame)
	if err := w.Write(&wire.Ping{Value: 1}); err != nil {
		t.Fatal(err)
	}
	before := w.Buffered()
	err := w.Write(&wire.Response{ID: 1, Bytes: [][]byte{make([]byte, wire.MinMaxFrame)}})
	var fse *wire.FrameSizeError
	if !errors.As(err, &fse) || fse.Limit != wire.MinMaxFrame {
		t.Fatalf("Write = %v, want *FrameSizeError", err)
	}
	if w.Buffered() != before {
		t.Fatalf("refused frame left %d bytes in the buffer", w.Buffered()-before)
	}
	// The stream is intact: the writer goes on.
	if err := w.Write(&wire.Pong{Value: 2}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, wire.NewReader(&out, 0))
	if err != nil || len(got) != 2 {
		t.Fatalf("read back %d frames: %v", len(got), err)
	}
	if err := w.Write(&wire.Request{Flags: 2}); !errors.Is(err, wire.ErrBadValue) || w.Buffered() != 0 {
		t.Fatalf("invalid frame: %v, %d bytes buffered", err, w.Buffered())
	}
}

type failWriter struct{ err error }

func (f failWriter) Write(p []byte) (int, error) { return len(p) / 2, f.err }

func TestWriterStickyError(t *testing.T) {
	boom := errors.New("boom")
	w := wire.NewWriter(failWriter{boom}, 0)
	if err := w.Write(&wire.Ping{Value: 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != boom {
		t.Fatalf("Flush = %v, want boom", err)
	}
	if err := w.Write(&wire.Ping{Value: 2}); err != boom {
		t.Fatalf("Write after failure = %v, want boom", err)
	}
	if err := w.Flush(); err != boom {
		t.Fatalf("Flush after failure = %v, want boom", err)
	}
}

func TestWriterSetMaxFrame(t *testing.T) {
	w := wire.NewWriter(new(bytes.Buffer), wire.MinMaxFrame)
	big := &wire.Response{Bytes: [][]byte{make([]byte, 10000)}}
	if err := w.Write(big); err == nil {
		t.Fatal("frame above the limit accepted")
	}
	w.SetMaxFrame(1 << 20)
	if err := w.Write(big); err != nil {
		t.Fatal(err)
	}
}
