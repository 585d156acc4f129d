//go:build unix

package faulttest

import (
	"testing"

	"github.com/latchkey/latchkey/internal/reexec"
)

// TestMain runs the child role named by the environment, if any, and
// otherwise the tests, checking for leaked goroutines.
func TestMain(m *testing.M) { reexec.Main(m, envRole, childMain) }
