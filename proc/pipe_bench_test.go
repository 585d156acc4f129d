package proc_test

import (
	"testing"

	"github.com/latchkey/latchkey/proc"
)

// BenchmarkPipeRoundTrip sends a 32-byte message to a child process that
// echoes it back, and receives the echo: one op is one round trip.
func BenchmarkPipeRoundTrip(b *testing.B) {
	mine, theirs := newPipe(b, true)
	startProcess(b, echo, 0, &proc.ProcessConfig{Conns: []*proc.Conn{theirs}})
	b.Run("bytes", func(b *testing.B) {
		msg := make([]byte, 32)
		ctx := b.Context()
		for b.Loop() {
			if err := mine.SendBytes(ctx, msg); err != nil {
				b.Fatal(err)
			}
			if _, err := mine.RecvBytes(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("value", func(b *testing.B) {
		c := proc.NewConnOf[int](mine, nil)
		ctx := b.Context()
		for i := 0; b.Loop(); i++ {
			if err := c.Send(ctx, i); err != nil {
				b.Fatal(err)
			}
			if _, err := c.Recv(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPipeRoundTripRaw is BenchmarkPipeRoundTrip/bytes without the
// Conn: the same socket pair between the same two processes, read and
// written directly through the runtime's netpoller (36 bytes, the size of
// a framed 32-byte message, each way). It is the floor of the transport.
func BenchmarkPipeRoundTripRaw(b *testing.B) {
	mine, theirs := newPipe(b, true)
	startProcess(b, rawEcho, 0, &proc.ProcessConfig{Conns: []*proc.Conn{theirs}})
	f := proc.RawFile(mine)
	msg, buf := make([]byte, 36), make([]byte, 4096)
	for b.Loop() {
		if _, err := f.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := f.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
}
