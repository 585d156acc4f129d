//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package wal

// lockDir does not lock on this platform: two Logs on one directory are
// not detected. See the package doc.
func lockDir(string) (func() error, error) { return func() error { return nil }, nil }

// syncDir does nothing on this platform, where directories cannot be
// opened for fsync; see the package doc.
func syncDir(string) error { return nil }
