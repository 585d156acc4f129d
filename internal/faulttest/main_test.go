//go:build unix

package faulttest

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain runs the child role named by the environment, if any, and
// otherwise the tests, checking for leaked goroutines.
func TestMain(m *testing.M) {
	if role := os.Getenv(envRole); role != "" {
		os.Exit(childMain(role))
	}
	goleak.VerifyTestMain(m)
}
