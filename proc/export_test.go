package proc

import "os"

// WriteRaw writes b to c's descriptor as is, bypassing the framing, so
// that tests can put partial messages on the stream.
func WriteRaw(c *Conn, b []byte) error {
	_, err := c.f.Write(b)
	return err
}

// SetFrameLimit sets the largest control frame this process sends (a
// task's arguments in a parent, its results in a worker); n <= 0 restores
// the default. Tests lower it to exercise chunks that exceed it without
// building a gigabyte.
func SetFrameLimit(n int) {
	if n <= 0 {
		n = maxFrame
	}
	frameLimit.Store(int64(n))
}

// RawFile returns c's descriptor, for the benchmark of the transport's
// floor: the same socket, read and written without the framing.
func RawFile(c *Conn) *os.File { return c.f }
