package wire_test

import (
	"bytes"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// typicalRequest is a Queue.Put of a 64-byte item.
func typicalRequest() *wire.Request {
	return &wire.Request{ID: 1000, Op: wire.OpQueuePut, Object: wire.ObjectQueue, Handle: 7, Name: "jobs",
		Bytes: [][]byte{bytes.Repeat([]byte("x"), 64)}}
}

// typicalResponse is a Queue.Get's answer: a fence and a 64-byte item.
func typicalResponse() *wire.Response {
	return &wire.Response{ID: 1000, Ints: []int64{123456}, Bytes: [][]byte{bytes.Repeat([]byte("x"), 64)}}
}

// BenchmarkRequest encodes a typical request into a reused buffer and
// decodes it into a reused Request, as a client and a server loop do.
func BenchmarkRequest(b *testing.B) {
	q := typicalRequest()
	var buf []byte
	var got wire.Request
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		q.ID = uint64(i)
		var err error
		if buf, err = wire.Append(buf[:0], q); err != nil {
			b.Fatal(err)
		}
		if err := got.Decode(buf[4:]); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkResponse does the same for a typical response.
func BenchmarkResponse(b *testing.B) {
	r := typicalResponse()
	var buf []byte
	var got wire.Response
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.ID = uint64(i)
		var err error
		if buf, err = wire.Append(buf[:0], r); err != nil {
			b.Fatal(err)
		}
		if err := got.Decode(buf[4:]); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkErrorResponse is a response carrying an error.
func BenchmarkErrorResponse(b *testing.B) {
	r := &wire.Response{ID: 1, Status: wire.StatusError, Kind: latchkey.KindLocked, Message: "latchkey: locked"}
	var buf []byte
	var got wire.Response
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = wire.Append(buf[:0], r)
		if err := got.Decode(buf[4:]); err != nil {
			b.Fatal(err)
		}
		if got.Err() == nil {
			b.Fatal("no error")
		}
	}
}

// BenchmarkStream pipelines batches of 64 requests through a Writer and a
// Reader; ns/op is per request.
func BenchmarkStream(b *testing.B) {
	const batch = 64
	q := typicalRequest()
	var conn bytes.Buffer
	w := wire.NewWriter(&conn, 0)
	r := wire.NewReader(&conn, 0)
	var got wire.Request
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		q.ID = uint64(i)
		if err := w.Write(q); err != nil {
			b.Fatal(err)
		}
		if i%batch != batch-1 {
			continue
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		for range batch {
			_, p, err := r.ReadFrame()
			if err != nil {
				b.Fatal(err)
			}
			if err := got.Decode(p); err != nil {
				b.Fatal(err)
			}
		}
	}
}
