package proc

// WriteRaw writes b to c's descriptor as is, bypassing the framing, so
// that tests can put partial messages on the stream.
func WriteRaw(c *Conn, b []byte) error {
	_, err := c.f.Write(b)
	return err
}
