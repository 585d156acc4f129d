package local_test

import (
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/conformance"
	"github.com/latchkey/latchkey/local"
)

func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Backend{
		New:    func(*testing.T) latchkey.Manager { return local.NewManager() },
		Bubble: true,
	})
}
