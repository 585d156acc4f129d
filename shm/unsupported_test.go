//go:build !linux

package shm_test

import (
	"errors"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/shm"
)

// runRole has no roles on systems other than Linux.
func runRole(role string) error { return errors.New("no child roles here") }

func TestUnsupported(t *testing.T) {
	_, err := shm.NewManager(nil)
	if !errors.Is(err, shm.ErrUnsupported) || !errors.Is(err, latchkey.ErrUnavailable) {
		t.Fatalf("NewManager: %v, want ErrUnsupported", err)
	}
}
