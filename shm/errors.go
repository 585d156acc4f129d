package shm

import "github.com/latchkey/latchkey"

// Errors of this package. Each also satisfies errors.Is with the root
// package's sentinel it wraps.
var (
	// ErrUnsupported is returned by [NewManager] on systems other than
	// Linux. It wraps [latchkey.ErrUnavailable].
	ErrUnsupported error = &wrapError{"shm: shared-memory objects need Linux", latchkey.ErrUnavailable}
	// ErrTooManyProcesses is returned when opening an object whose
	// process table (127 entries, see the package doc) is full of live
	// processes. It wraps [latchkey.ErrUnavailable].
	ErrTooManyProcesses error = &wrapError{"shm: too many processes use the object", latchkey.ErrUnavailable}
)

// wrapError is an error of this package that wraps a root sentinel.
type wrapError struct {
	msg  string
	root error
}

func (e *wrapError) Error() string { return e.msg }
func (e *wrapError) Unwrap() error { return e.root }

// mismatchf returns an ErrMismatch with a formatted message.
func mismatchf(format string, args ...any) error {
	return latchkey.Errorf(latchkey.KindMismatch, format, args...)
}
