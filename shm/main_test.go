package shm_test

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// roleEnv names the child role a re-executed test binary plays.
const roleEnv = "LATCHKEY_SHM_TEST_ROLE"

// TestMain runs a child role when the test binary is re-executed as one
// (see startChild), and the tests otherwise, checking for leaked
// goroutines.
func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		if err := runRole(role); err != nil {
			fmt.Fprintf(os.Stderr, "child %s: %v\n", role, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}
