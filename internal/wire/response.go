package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/latchkey/latchkey"
)

// Status is a [Response]'s outcome.
type Status uint8

// The statuses. They are append-only: do not reorder or renumber them.
const (
	// StatusOK: the op took effect; the results are in Ints and Bytes.
	StatusOK Status = 0
	// StatusError: the op failed with Kind and Message. Some errors come
	// with results (latchkey.KindOwnerDied comes with the grant's fence).
	StatusError Status = 1
	// StatusCanceled: a [Cancel] (or a [Request] for [OpClose] on the
	// handle) ended a blocking op before it took effect.
	StatusCanceled Status = 2
)

// String returns "ok", "error" or "canceled".
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusError:
		return "error"
	case StatusCanceled:
		return "canceled"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Response is the server's answer to one [Request]. Responses may come in
// any order: a blocking request is answered when it completes.
//
// A Response may be reused, like a [Request].
type Response struct {
	// ID is the request's ID.
	ID uint64
	// Status is the outcome.
	Status Status
	// Kind is the error's kind, for StatusError; it must be 0 otherwise.
	// Its values are the root package's wire-stable kinds.
	Kind latchkey.Kind
	// Message is the error's message, for StatusError (at most
	// [MaxMessageLen] bytes); it must be empty otherwise.
	Message string
	// Ints are the op's integer results.
	Ints []int64
	// Bytes are the op's byte-string results. After Decode they alias
	// the payload: see [Response.Clone].
	Bytes [][]byte
}

// Type returns [TypeResponse].
func (*Response) Type() Type { return TypeResponse }

func (r *Response) appendBody(b []byte) ([]byte, error) {
	switch r.Status {
	case StatusOK, StatusCanceled:
		if r.Kind != 0 || r.Message != "" {
			return b, fmt.Errorf("wire: encoding response frame: kind or message with status %v: %w", r.Status, ErrBadValue)
		}
	case StatusError:
		if err := checkLen(TypeResponse, "message", len(r.Message), MaxMessageLen); err != nil {
			return b, err
		}
	default:
		return b, fmt.Errorf("wire: encoding response frame: status %d: %w", r.Status, ErrBadValue)
	}
	if err := checkArgs(TypeResponse, r.Ints, r.Bytes); err != nil {
		return b, err
	}
	b = binary.AppendUvarint(b, r.ID)
	b = append(b, byte(r.Status))
	if r.Status == StatusError {
		b = binary.AppendUvarint(b, uint64(r.Kind))
		b = appendString(b, r.Message)
	}
	b = appendInts(b, r.Ints)
	return appendByteList(b, r.Bytes), nil
}

// Decode sets r from payload. The elements of r.Bytes alias payload.
func (r *Response) Decode(payload []byte) error {
	d := newDecoder(payload, TypeResponse)
	r.ID = d.uvarint("id", -1)
	r.Status = Status(d.byte("status"))
	msg := r.Message
	r.Kind, r.Message = 0, ""
	switch r.Status {
	case StatusOK, StatusCanceled:
	case StatusError:
		r.Kind = latchkey.Kind(d.uvarintMax("kind", 0xFFFF))
		r.Message = d.string("message", MaxMessageLen, msg)
	default:
		if d.err == nil {
			d.off--
			d.fail("status", -1, fmt.Errorf("%w: status %d", ErrBadValue, r.Status))
		}
	}
	r.Ints = d.ints("ints", r.Ints)
	r.Bytes = d.byteList("bytes", r.Bytes)
	return d.finish()
}

// Err returns the response's error: nil for StatusOK, a *latchkey.Error
// of the response's kind and message for StatusError (so errors.Is
// matches the root package's sentinel of that kind), and [ErrCanceled]
// for StatusCanceled.
func (r *Response) Err() error {
	switch r.Status {
	case StatusOK:
		return nil
	case StatusError:
		return &latchkey.Error{Kind: r.Kind, Msg: r.Message}
	case StatusCanceled:
		return ErrCanceled
	}
	return fmt.Errorf("wire: response status %d: %w", r.Status, ErrBadValue)
}

// SetErr sets r's Status, Kind and Message from err, leaving the results
// alone: nil is StatusOK; an error matching context.Canceled or
// context.DeadlineExceeded is StatusCanceled; anything else is StatusError
// with latchkey.KindOf(err) and err's message, truncated to
// [MaxMessageLen] bytes.
func (r *Response) SetErr(err error) {
	r.Kind, r.Message = 0, ""
	switch {
	case err == nil:
		r.Status = StatusOK
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		r.Status = StatusCanceled
	default:
		r.Status = StatusError
		r.Kind = latchkey.KindOf(err)
		r.Message = truncateUTF8(err.Error(), MaxMessageLen)
	}
}

// Clone returns a deep copy of r that shares no memory with r or with the
// payload r was decoded from. A client hands a clone's results to the
// caller that waits for them.
func (r *Response) Clone() *Response {
	c := *r
	c.Ints = cloneInts(r.Ints)
	c.Bytes = cloneByteList(r.Bytes)
	return &c
}
