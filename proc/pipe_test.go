package proc_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/proc"
)

// newPipe returns a pipe whose ends the test's cleanup closes.
func newPipe(t testing.TB, duplex bool) (*proc.Conn, *proc.Conn) {
	t.Helper()
	a, b, err := proc.Pipe(duplex)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestPipeMessages(t *testing.T) {
	a, b := newPipe(t, true)
	ctx := t.Context()
	msgs := [][]byte{[]byte("one"), {}, []byte("three"), bytes.Repeat([]byte("x"), 100_000)}
	go func() {
		for _, m := range msgs {
			if err := a.SendBytes(ctx, m); err != nil {
				t.Error(err)
			}
		}
	}()
	for i, want := range msgs {
		got, err := b.RecvBytes(ctx)
		if err != nil || !bytes.Equal(got, want) || got == nil {
			t.Errorf("message %d: %d bytes, %v; want %d bytes", i, len(got), err, len(want))
		}
	}
	// The other direction, with values.
	bc, ac := proc.NewConnOf[[]int](b, nil), proc.NewConnOf[[]int](a, nil)
	if err := bc.Send(ctx, []int{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if v, err := ac.Recv(ctx); err != nil || len(v) != 3 || v[2] != 3 {
		t.Errorf("Recv = %v, %v", v, err)
	}
	if !a.Readable() || !a.Writable() {
		t.Error("duplex end not readable and writable")
	}
}

func TestPipeOneWay(t *testing.T) {
	r, w := newPipe(t, false)
	if !r.Readable() || r.Writable() || w.Readable() || !w.Writable() {
		t.Fatal("wrong directions")
	}
	if err := r.SendBytes(t.Context(), nil); !errors.Is(err, proc.ErrReadOnly) {
		t.Errorf("send on the read end = %v", err)
	}
	if _, err := w.RecvBytes(t.Context()); !errors.Is(err, proc.ErrWriteOnly) {
		t.Errorf("receive on the write end = %v", err)
	}
	if _, err := w.Poll(t.Context()); !errors.Is(err, proc.ErrWriteOnly) {
		t.Errorf("poll on the write end = %v", err)
	}
	if err := w.SendBytes(t.Context(), []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if m, err := r.RecvBytes(t.Context()); string(m) != "hi" || err != nil {
		t.Errorf("RecvBytes = %q, %v", m, err)
	}
}

// TestPipeEOF checks that buffered messages are delivered after the peer
// closed, then io.EOF; and that sending to a closed peer fails.
func TestPipeEOF(t *testing.T) {
	a, b := newPipe(t, true)
	for _, m := range []string{"a", "b"} {
		if err := a.SendBytes(t.Context(), []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	for _, want := range []string{"a", "b"} {
		if m, err := b.RecvBytes(t.Context()); string(m) != want || err != nil {
			t.Errorf("RecvBytes = %q, %v; want %q", m, err, want)
		}
	}
	for range 2 {
		if _, err := b.RecvBytes(t.Context()); err != io.EOF {
			t.Errorf("RecvBytes after the peer closed = %v, want io.EOF", err)
		}
	}
	if ok, err := b.Poll(t.Context()); !ok || err != nil {
		t.Errorf("Poll at EOF = %v, %v; want true", ok, err)
	}
	if err := b.SendBytes(t.Context(), []byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("SendBytes to a closed peer = %v, want io.ErrClosedPipe", err)
	}
	if err := a.SendBytes(t.Context(), nil); !errors.Is(err, latchkey.ErrClosed) {
		t.Errorf("SendBytes on a closed end = %v, want ErrClosed", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestPipeEOFMidMessage(t *testing.T) {
	a, b := newPipe(t, true)
	hdr := binary.BigEndian.AppendUint32(nil, 10)
	if err := proc.WriteRaw(a, append(hdr, "abc"...)); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if _, err := b.RecvBytes(t.Context()); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("RecvBytes = %v, want io.ErrUnexpectedEOF", err)
	}
}

// TestPipeCancelKeepsStream cancels a receive in the middle of a message:
// the part already read is kept for the next receive.
func TestPipeCancelKeepsStream(t *testing.T) {
	for _, size := range []int{10, 150_000} { // read into the buffer; into a message of its own
		a, b := newPipe(t, true)
		msg := bytes.Repeat([]byte{7}, size)
		frame := append(binary.BigEndian.AppendUint32(nil, uint32(size)), msg...)
		half := len(frame) / 2
		if err := proc.WriteRaw(a, frame[:half]); err != nil { // fits in the socket's buffer
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		if _, err := b.RecvBytes(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("RecvBytes of half a message = %v, want DeadlineExceeded", err)
		}
		cancel()
		if ok, err := b.TryPoll(); ok || err != nil {
			t.Errorf("TryPoll with half a message = %v, %v; want false", ok, err)
		}
		if _, err := b.TryRecvBytes(); !errors.Is(err, latchkey.ErrEmpty) {
			t.Errorf("TryRecvBytes with half a message = %v, want ErrEmpty", err)
		}
		if err := proc.WriteRaw(a, frame[half:]); err != nil {
			t.Fatal(err)
		}
		if m, err := b.RecvBytes(t.Context()); err != nil || !bytes.Equal(m, msg) {
			t.Errorf("size %d: RecvBytes = %d bytes, %v", size, len(m), err)
		}
	}
}

// TestPipeContexts receives and sends under several contexts in turn. A
// Conn keeps its registration with the ctx of its last call; the end of a
// ctx must still interrupt only a call made under it, and a ctx that has
// ended is an error at once, unless what the call asks for has arrived.
func TestPipeContexts(t *testing.T) {
	a, b := newPipe(t, true)
	type result struct {
		m   []byte
		err error
	}
	recv := func(ctx context.Context) <-chan result {
		c := make(chan result, 1)
		go func() {
			m, err := b.RecvBytes(ctx)
			c <- result{m, err}
		}()
		return c
	}
	ctx1, cancel1 := context.WithCancel(t.Context())
	if err := a.SendBytes(ctx1, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if m, err := b.RecvBytes(ctx1); string(m) != "one" || err != nil {
		t.Fatalf("RecvBytes = %q, %v", m, err)
	}
	// ctx1 ends while no call is under way, just before a receive under
	// ctx2 that must wait for its message.
	cancel1()
	ctx2, cancel2 := context.WithCancel(t.Context())
	defer cancel2()
	got := recv(ctx2)
	if err := a.SendBytes(ctx2, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if r := <-got; string(r.m) != "two" || r.err != nil {
		t.Errorf("RecvBytes under ctx2 = %q, %v; want two", r.m, r.err)
	}
	// Under the ended ctx1: a message that has arrived is received, then
	// the ctx's error comes at once; a send sends nothing.
	if err := a.SendBytes(t.Context(), []byte("three")); err != nil {
		t.Fatal(err)
	}
	if m, err := b.RecvBytes(ctx1); string(m) != "three" || err != nil {
		t.Errorf("RecvBytes of an arrived message under an ended ctx = %q, %v", m, err)
	}
	if _, err := b.RecvBytes(ctx1); !errors.Is(err, context.Canceled) {
		t.Errorf("RecvBytes under an ended ctx = %v, want Canceled", err)
	}
	if err := a.SendBytes(ctx1, []byte("lost")); !errors.Is(err, context.Canceled) {
		t.Errorf("SendBytes under an ended ctx = %v, want Canceled", err)
	}
	if m, err := b.TryRecvBytes(); !errors.Is(err, latchkey.ErrEmpty) {
		t.Errorf("TryRecvBytes after a cancelled send = %q, %v; want ErrEmpty", m, err)
	}
	// ctx2, used before, interrupts a receive made under it; the stream
	// is intact for the next one.
	got = recv(ctx2)
	cancel2()
	if r := <-got; !errors.Is(r.err, context.Canceled) {
		t.Errorf("RecvBytes under a cancelled ctx2 = %q, %v; want Canceled", r.m, r.err)
	}
	if err := a.SendBytes(t.Context(), []byte("four")); err != nil {
		t.Fatal(err)
	}
	if m, err := b.RecvBytes(t.Context()); string(m) != "four" || err != nil {
		t.Errorf("RecvBytes after the cancellations = %q, %v; want four", m, err)
	}
}

func TestPipeLargeMessage(t *testing.T) {
	a, b := newPipe(t, true)
	msg := make([]byte, 10<<20)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	errc := make(chan error, 1)
	go func() { errc <- a.SendBytes(t.Context(), msg) }()
	got, err := b.RecvBytes(t.Context())
	if err != nil || !bytes.Equal(got, msg) {
		t.Errorf("RecvBytes = %d bytes, %v", len(got), err)
	}
	if err := <-errc; err != nil {
		t.Errorf("SendBytes: %v", err)
	}
}

func TestPipeTooLarge(t *testing.T) {
	a, b := newPipe(t, true)
	a.SetMaxMessageSize(100)
	if err := a.SendBytes(t.Context(), make([]byte, 101)); !errors.Is(err, proc.ErrMessageTooLarge) {
		t.Errorf("SendBytes over the limit = %v, want ErrMessageTooLarge", err)
	}
	// Nothing was sent: the next message is intact.
	if err := a.SendBytes(t.Context(), []byte("ok")); err != nil {
		t.Fatal(err)
	}
	if m, err := b.RecvBytes(t.Context()); string(m) != "ok" || err != nil {
		t.Errorf("RecvBytes = %q, %v", m, err)
	}
	// A receiver with a lower limit refuses the message, for good.
	b.SetMaxMessageSize(10)
	if err := a.SendBytes(t.Context(), make([]byte, 50)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := b.RecvBytes(t.Context()); !errors.Is(err, proc.ErrMessageTooLarge) {
			t.Errorf("RecvBytes over the limit = %v, want ErrMessageTooLarge", err)
		}
	}
}

func TestPipePoll(t *testing.T) {
	a, b := newPipe(t, true)
	if ok, err := b.TryPoll(); ok || err != nil {
		t.Errorf("TryPoll on an empty pipe = %v, %v", ok, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if ok, err := b.Poll(ctx); ok || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Poll on an empty pipe = %v, %v; want false, DeadlineExceeded", ok, err)
	}
	if _, err := b.TryRecvBytes(); !errors.Is(err, latchkey.ErrEmpty) {
		t.Errorf("TryRecvBytes on an empty pipe = %v, want ErrEmpty", err)
	}
	go func() {
		if err := a.SendBytes(t.Context(), []byte("ping")); err != nil {
			t.Error(err)
		}
	}()
	if ok, err := b.Poll(t.Context()); !ok || err != nil {
		t.Fatalf("Poll = %v, %v; want true", ok, err)
	}
	// A message already there is reported even with an expired ctx.
	if ok, err := b.Poll(ctx); !ok || err != nil {
		t.Errorf("Poll with an expired ctx and a message = %v, %v", ok, err)
	}
	if ok, err := b.TryPoll(); !ok || err != nil {
		t.Errorf("TryPoll with a message = %v, %v", ok, err)
	}
	if m, err := b.TryRecvBytes(); string(m) != "ping" || err != nil {
		t.Errorf("TryRecvBytes = %q, %v", m, err)
	}
}

func TestPipeClose(t *testing.T) {
	a, b := newPipe(t, true)
	errc := make(chan error, 1)
	go func() { _, err := b.RecvBytes(context.Background()); errc <- err }()
	// Close from another goroutine unblocks the receive, whenever it
	// started.
	b.Close()
	if err := <-errc; !errors.Is(err, latchkey.ErrClosed) {
		t.Errorf("RecvBytes interrupted by Close = %v, want ErrClosed", err)
	}
	if _, err := b.RecvBytes(t.Context()); !errors.Is(err, latchkey.ErrClosed) {
		t.Errorf("RecvBytes on a closed end = %v, want ErrClosed", err)
	}
	if _, err := a.RecvBytes(t.Context()); err != io.EOF {
		t.Errorf("RecvBytes from a closed peer = %v, want io.EOF", err)
	}
	if _, err := proc.InheritedConn(0); !errors.Is(err, latchkey.ErrNotFound) {
		t.Errorf("InheritedConn in the parent = %v, want ErrNotFound", err)
	}
}

// TestPipeWithChild echoes messages through a child process that got its
// end through ProcessConfig.Conns. Closing our end ends the child's loop.
func TestPipeWithChild(t *testing.T) {
	mine, theirs := newPipe(t, true)
	p := startProcess(t, echo, 0, &proc.ProcessConfig{Conns: []*proc.Conn{theirs}})
	if err := theirs.SendBytes(t.Context(), nil); !errors.Is(err, latchkey.ErrClosed) {
		t.Errorf("the end handed to the child is still open here: %v", err)
	}
	big := bytes.Repeat([]byte("0123456789"), 300_000)
	for i, m := range [][]byte{[]byte("hello"), {}, big} {
		errc := make(chan error, 1)
		go func() { errc <- mine.SendBytes(t.Context(), m) }()
		got, err := mine.RecvBytes(t.Context())
		if err != nil || !bytes.Equal(got, m) {
			t.Errorf("echo %d: %d bytes, %v; want %d", i, len(got), err, len(m))
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	mine.Close()
	if err := p.Join(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n, err := p.Result(); n != 3 || err != nil {
		t.Errorf("child echoed %d messages, %v; want 3", n, err)
	}
}

// TestPipeEOFWhenChildExits reads what a child sent on a one-way pipe,
// then io.EOF once it has exited: no copy of the write end stays open.
func TestPipeEOFWhenChildExits(t *testing.T) {
	r, w := newPipe(t, false)
	p := startProcess(t, produce, []string{"x", "y", "z"}, &proc.ProcessConfig{Conns: []*proc.Conn{w}})
	rc := proc.NewConnOf[string](r, nil)
	for _, want := range []string{"x", "y", "z"} {
		if m, err := rc.Recv(t.Context()); m != want || err != nil {
			t.Errorf("Recv = %q, %v; want %q", m, err, want)
		}
	}
	if _, err := rc.Recv(t.Context()); err != io.EOF {
		t.Errorf("Recv after the child is done = %v, want io.EOF", err)
	}
	p.Join(t.Context())
	if n, err := p.Result(); n != 3 || err != nil {
		t.Errorf("Result = %d, %v", n, err)
	}
}
