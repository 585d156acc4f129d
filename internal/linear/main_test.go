package linear

import (
	"flag"
	"testing"

	"go.uber.org/goleak"
)

var (
	seedFlag = flag.Uint64("linear.seed", 0, "seed of the randomized runs (0: a new seed per run, printed)")
	longFlag = flag.Bool("linear.long", false, "record much longer histories (minutes; not for CI)")
)

// TestMain runs the tests and checks that none leaks a goroutine.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
