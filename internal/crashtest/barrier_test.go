//go:build unix

package crashtest

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/latchkey/latchkey"
)

// TestBarrierPartyKilled: of a Barrier(3), two children wait and one is
// killed: the other gets ErrBrokenBarrier, and so does the parent's Wait;
// after Reset, the barrier trips for three live parties.
func TestBarrierPartyKilled(t *testing.T) {
	t.Parallel()
	eachTransport(t, func(t *testing.T, h *harness) {
		const name = "barrier"
		a := h.start(roleBarrier, name, "3")
		b := h.start(roleBarrier, name, "3")
		h.waiters(name, 2)
		br, err := h.c.Barrier(t.Context(), name, 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := br.Waiting(t.Context()); err != nil || n != 2 {
			t.Fatalf("Waiting = %d, %v; want 2", n, err)
		}

		h.mustKill(a)
		h.expect(b, "broken")
		if broken, err := br.Broken(t.Context()); err != nil || !broken {
			t.Fatalf("Broken = %v, %v after a party was killed; want true", broken, err)
		}
		if _, err := br.Wait(h.ctx()); !errors.Is(err, latchkey.ErrBrokenBarrier) {
			t.Fatalf("parent's Wait on the broken barrier: %v, want ErrBrokenBarrier", err)
		}
		for _, ev := range h.reportsOf(a) {
			t.Errorf("the killed party reported %q", ev.line)
		}
		h.gone(a)

		mustDo(t, br.Reset(t.Context()))
		if broken, err := br.Broken(t.Context()); err != nil || broken {
			t.Fatalf("Broken = %v, %v after Reset; want false", broken, err)
		}
		c := h.start(roleBarrier, name, "3")
		d := h.start(roleBarrier, name, "3")
		h.waiters(name, 2)
		i, err := br.Wait(h.ctx())
		if err != nil {
			t.Fatalf("parent's Wait after Reset: %v", err)
		}
		idx := []int{i}
		for _, k := range []*child{c, d} {
			n, err := strconv.Atoi(h.expect(k, "passed").arg(0))
			if err != nil {
				t.Fatal(err)
			}
			idx = append(idx, n)
		}
		slices.Sort(idx)
		if !slices.Equal(idx, []int{0, 1, 2}) {
			t.Errorf("arrival indexes %v, want 0, 1, 2", idx)
		}
	})
}
