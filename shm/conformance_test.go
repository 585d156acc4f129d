//go:build linux

package shm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/conformance"
	"github.com/latchkey/latchkey/shm"
)

// conformanceGroups are the suite's groups that package shm implements.
// The others (Dict, List, Namespace, and the Manager group, which opens
// every type) are skipped.
var conformanceGroups = []string{"Lock", "RLock", "RWLock", "Semaphore", "Condition", "Event", "Barrier",
	"Queue", "SimpleQueue", "Value", "Array"}

func TestConformance(t *testing.T) {
	conformance.Run(t, conformance.Backend{
		New: func(t *testing.T) latchkey.Manager {
			group, _, _ := strings.Cut(strings.TrimPrefix(t.Name(), "TestConformance/"), "/")
			found := false
			for _, g := range conformanceGroups {
				found = found || g == group
			}
			if !found {
				t.Skipf("shm does not implement the %s group yet", group)
			}
			return fullManager{newManager(t)}
		},
	})
}

// fullManager completes a *shm.Manager into a latchkey.Manager for the
// suite. The containers shm lacks are never opened by the groups that
// run, except to check that a name of another type is ErrMismatch: they
// return that for an existing name, and ErrUnavailable otherwise.
type fullManager struct{ *shm.Manager }

func (m fullManager) missing(ctx context.Context, name string) error {
	if _, err := m.Waiters(ctx, name); err == nil {
		return latchkey.Errorf(latchkey.KindMismatch, "shm test: %q is another type", name)
	}
	return latchkey.Errorf(latchkey.KindUnavailable, "shm test: not implemented")
}

func (m fullManager) Dict(ctx context.Context, name string) (latchkey.Dict, error) {
	return nil, m.missing(ctx, name)
}
func (m fullManager) List(ctx context.Context, name string) (latchkey.List, error) {
	return nil, m.missing(ctx, name)
}
func (m fullManager) Namespace(ctx context.Context, name string) (latchkey.Namespace, error) {
	return nil, m.missing(ctx, name)
}
