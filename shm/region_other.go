//go:build !linux

package shm

import (
	"errors"
	"os"
)

// mapFile fails on systems other than Linux.
func mapFile(string, int, os.FileMode, func([]byte)) ([]byte, fileKey, error) {
	return nil, fileKey{}, ErrUnsupported
}

// unmap is never called on systems other than Linux.
func unmap([]byte) {}

// statKey fails on systems other than Linux.
func statKey(string) (fileKey, error) { return fileKey{}, ErrUnsupported }

// removeFile fails on systems other than Linux.
func removeFile(string) error { return ErrUnsupported }

// isNotExist reports whether err says that a file does not exist.
func isNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }

// supported reports whether shared-memory objects work on this system.
const supported = false

// mapExisting fails on systems other than Linux.
func mapExisting(string) ([]byte, fileKey, error) { return nil, fileKey{}, ErrUnsupported }
