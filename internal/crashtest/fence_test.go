//go:build unix

package crashtest

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
)

var (
	longSoak = flag.Bool("crashtest.long", false, "run TestFencesOnlyGrow with hundreds of child lifetimes")
	seedFlag = flag.Uint64("crashtest.seed", 0, "seed of TestFencesOnlyGrow (0: "+envSeed+", else the clock)")
)

// envSeed replays TestFencesOnlyGrow with a seed, like -crashtest.seed.
const envSeed = "LATCHKEY_CRASHTEST_SEED"

// soakSeed returns the seed of the randomized test.
func soakSeed(t *testing.T) uint64 {
	if *seedFlag != 0 {
		return *seedFlag
	}
	if s := os.Getenv(envSeed); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("bad %s: %v", envSeed, err)
		}
		return n
	}
	return uint64(time.Now().UnixNano())
}

// TestFencesOnlyGrow: children lock and unlock one Lock in a loop, a few
// at a time, while the parent kills random ones at random moments (after
// random reports), holding or waiting. Every grant's fence must be larger
// than every earlier one, no two live children may hold the lock at once,
// and a grant reports ErrOwnerDied exactly when its previous holder died
// holding the lock (see fenceChecker). The parent's own Lock at the end
// gets a larger fence still.
func TestFencesOnlyGrow(t *testing.T) {
	t.Parallel()
	seed := soakSeed(t)
	t.Logf("seed %d (replay with -crashtest.seed=%d)", seed, seed)
	lifetimes := map[string]int{"Unix": 20, "TCP": 20, "TCPResume": 3}
	if *longSoak {
		lifetimes = map[string]int{"Unix": 300, "TCP": 300, "TCPResume": 40}
	}
	eachTransport(t, func(t *testing.T, h *harness) {
		soak(t, h, rand.New(rand.NewPCG(seed, 0)), lifetimes[h.tr.name], 3)
	})
}

// soak runs lifetimes children, live at a time, and checks their reports.
func soak(t *testing.T, h *harness, rng *rand.Rand, lifetimes, live int) {
	const (
		name = "soak"
		// A child reporting "holding" is killed with probability
		// 1/holdingOdds, else released. After a "locked" report, its
		// child is killed with probability 1/lockedOdds (it may have
		// unlocked by then); after any other event, a random running
		// child with probability 1/anyOdds.
		holdingOdds = 2
		lockedOdds  = 6
		anyOdds     = 24
	)
	type kidState struct {
		c              *child
		exited, killed bool
	}
	var kids []*kidState
	byID := map[int]*kidState{}
	running := func() []*kidState {
		var out []*kidState
		for _, k := range kids {
			if !k.exited && !k.killed {
				out = append(out, k)
			}
		}
		return out
	}
	ck := newFenceChecker()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s\nlast reports:\n%s", fmt.Sprintf(format, args...), strings.Join(ck.recent, "\n"))
	}
	ended, kills := 0, 0 // children whose last report was read; children killed
	deadline := time.Now().Add(waitLimit)
	for ended < lifetimes {
		for len(running()) < live && len(kids) < lifetimes {
			c := h.start(roleSoak, name, strconv.Itoa(1+rng.IntN(8)), strconv.FormatUint(rng.Uint64(), 10))
			k := &kidState{c: c}
			kids = append(kids, k)
			byID[c.id] = k
		}
		ev := h.next(deadline, "the next report of the soak")
		deadline = time.Now().Add(waitLimit)
		if ev.verb == "fail" {
			fail("child reported a failure: %q", ev.line)
		}
		if err := ck.apply(ev); err != nil {
			fail("%v", err)
		}
		switch {
		case ev.id != 0 && ev.verb == "exit":
			k := byID[ev.id]
			if k == nil {
				fail("report from unknown child: %q", ev.line)
			}
			k.exited = true
			if !k.killed { // else its "dead" marker, read later, ends it
				<-k.c.Exited()
				if ws := k.c.Status(); !ws.Exited() || ws.ExitStatus() != 0 {
					fail("child %d exited with %v; stderr:\n%s", k.c.id, ws, k.c.Stderr())
				}
				ended++
			}
		case ev.id == 0 && ev.verb == "dead":
			ended++
		}
		var victim *kidState
		k := byID[ev.id]
		switch {
		case k == nil || k.killed:
		case ev.verb == "holding" && rng.IntN(holdingOdds) == 0:
			victim = k
		case ev.verb == "holding":
			h.send(k.c, "release")
		case ev.verb == "locked" && rng.IntN(lockedOdds) == 0:
			victim = k
		}
		if rs := running(); victim == nil && len(rs) > 0 && rng.IntN(anyOdds) == 0 {
			victim = rs[rng.IntN(len(rs))]
		}
		if victim != nil {
			victim.killed = true
			if h.kill(victim.c) { // else it had just exited: its "exit" report is in the pipe
				kills++
			}
		}
	}

	l, err := h.c.Lock(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := l.Lock(h.ctx())
	if err != nil && !errors.Is(err, latchkey.ErrOwnerDied) {
		t.Fatalf("parent's Lock after the soak: %v", err)
	}
	if err := ck.grant(parentID, f, err != nil); err != nil {
		fail("parent's grant: %v", err)
	}
	if err := l.Unlock(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := h.count(name); n != 0 {
		t.Errorf("%d waiters left on the lock, want 0", n)
	}
	t.Logf("%d children, %d killed: %d grants, %d with ErrOwnerDied, last fence %d", lifetimes, kills, ck.grants, ck.died, ck.last)
}

// parentID stands for the parent in fenceChecker.grant.
const parentID = -1

// fenceChecker checks the reports of children that lock and unlock one
// Lock, and the parent's kill markers, in the order of the shared pipe,
// which is a causal order: a child reports "locked" after its grant and
// "unlocking" before its Unlock, and the parent writes "kill N" before it
// kills child N and "dead N" after reaping it. It checks that
//
//   - every grant's fence is larger than every earlier grant's;
//   - no child reports a grant while another holds the lock (reported
//     "locked" and not yet "unlocking"), unless that one was killed: its
//     hold then ends with its death, and it must never report again
//     (everything a child writes precedes its death, and so the grant its
//     death allowed);
//   - a grant whose previous reported holder was killed holding the lock
//     reports ErrOwnerDied;
//   - a grant that reports ErrOwnerDied follows a death: some child was
//     killed that was not yet reaped when the previous grant was reported
//     (the one that died holding the lock may have died before reporting
//     its grant).
//
// A real violation in the short interval between a "kill" marker and the
// death it announces goes unnoticed unless the killed child reports again.
type fenceChecker struct {
	n         int            // events applied
	last      latchkey.Fence // the largest fence reported
	holder    int            // the child reported holding the lock; 0 for none
	prevGrant int            // the index of the latest grant
	killedAt  map[int]int    // child → index of its "kill" marker
	deadAt    map[int]int    // child → index of its "dead" marker
	displaced map[int]bool   // children whose hold ended with their death
	grants    int
	died      int      // grants with ErrOwnerDied
	recent    []string // the latest events, for failure messages
}

func newFenceChecker() *fenceChecker {
	return &fenceChecker{killedAt: map[int]int{}, deadAt: map[int]int{}, displaced: map[int]bool{}}
}

func (ck *fenceChecker) apply(ev event) error {
	ck.n++
	ck.recent = append(ck.recent, ev.line)
	if len(ck.recent) > 40 {
		ck.recent = ck.recent[1:]
	}
	if ev.id == 0 {
		id, err := strconv.Atoi(ev.arg(0))
		if err != nil {
			return fmt.Errorf("bad marker %q", ev.line)
		}
		switch ev.verb {
		case "kill":
			ck.killedAt[id] = ck.n
		case "dead":
			ck.deadAt[id] = ck.n
		}
		return nil
	}
	if ck.displaced[ev.id] {
		return fmt.Errorf("child %d reported %q after another child was granted the lock on the assumption that it had died holding it: two holders at once", ev.id, ev.line)
	}
	switch ev.verb {
	case "locked":
		f, err := strconv.ParseUint(ev.arg(0), 10, 64)
		if err != nil {
			return fmt.Errorf("bad report %q", ev.line)
		}
		return ck.grant(ev.id, latchkey.Fence(f), ev.arg(1) == "died")
	case "holding":
		if ck.holder != ev.id {
			return fmt.Errorf("child %d reports holding, but child %d is the holder", ev.id, ck.holder)
		}
	case "unlocking":
		if ck.holder != ev.id {
			return fmt.Errorf("child %d unlocks, but child %d is the holder", ev.id, ck.holder)
		}
		ck.holder = 0
	case "exit":
		if ck.holder == ev.id {
			return fmt.Errorf("child %d exits holding the lock", ev.id)
		}
	default:
		return fmt.Errorf("unexpected report %q", ev.line)
	}
	return nil
}

// grant checks a grant of fence f to id, which reported ErrOwnerDied if
// died.
func (ck *fenceChecker) grant(id int, f latchkey.Fence, died bool) error {
	if f <= ck.last {
		return fmt.Errorf("child %d granted fence %d after fence %d: fences must only grow", id, f, ck.last)
	}
	if h := ck.holder; h != 0 {
		if _, killed := ck.killedAt[h]; !killed {
			return fmt.Errorf("child %d granted the lock (fence %d) while child %d, alive, holds it (fence %d)", id, f, h, ck.last)
		}
		if !died {
			return fmt.Errorf("child %d granted the lock (fence %d) after child %d was killed holding it, without ErrOwnerDied", id, f, h)
		}
		ck.displaced[h] = true
	}
	if died && !ck.deathSincePrevGrant() {
		return fmt.Errorf("child %d granted the lock (fence %d) with ErrOwnerDied, but no child died since the previous grant", id, f)
	}
	ck.last, ck.holder, ck.prevGrant = f, id, ck.n
	ck.grants++
	if died {
		ck.died++
	}
	return nil
}

// deathSincePrevGrant reports whether a child killed by now may have died
// after the previous grant: its "dead" marker, written once it was
// reaped, is missing or later.
func (ck *fenceChecker) deathSincePrevGrant() bool {
	for id := range ck.killedAt {
		if d, ok := ck.deadAt[id]; !ok || d > ck.prevGrant {
			return true
		}
	}
	return false
}

// TestFenceChecker: the checker accepts histories that respect its rules
// and rejects each kind of violation.
func TestFenceChecker(t *testing.T) {
	for _, tc := range []struct {
		name    string
		history []string
		want    string // a substring of the error; "" for none
	}{
		{"clean", []string{"1 locked 1", "1 holding", "1 unlocking", "2 locked 2", "2 unlocking", "2 exit"}, ""},
		{"fence repeated", []string{"1 locked 5", "1 unlocking", "2 locked 5"}, "must only grow"},
		{"fence backwards", []string{"1 locked 5", "1 unlocking", "2 locked 4"}, "must only grow"},
		{"two live holders", []string{"1 locked 1", "2 locked 2"}, "alive, holds"},
		{"killed holder", []string{"1 locked 1", "0 kill 1", "0 dead 1", "2 locked 2 died"}, ""},
		{"killed holder, no OwnerDied", []string{"1 locked 1", "0 kill 1", "0 dead 1", "2 locked 2"}, "without ErrOwnerDied"},
		{"killed holder reports again", []string{"1 locked 1", "0 kill 1", "2 locked 2 died", "1 unlocking"}, "two holders"},
		{"OwnerDied without a death", []string{"1 locked 1", "1 unlocking", "2 locked 2 died"}, "no child died"},
		{"OwnerDied after an unreported grant", []string{"1 locked 1", "0 kill 3", "1 unlocking", "0 dead 3", "2 locked 2 died"}, ""},
		{"OwnerDied after an old death", []string{"0 kill 3", "0 dead 3", "1 locked 1", "1 unlocking", "2 locked 2 died"}, "no child died"},
		{"unlock by another", []string{"1 locked 1", "2 unlocking"}, "is the holder"},
		{"exit holding", []string{"1 locked 1", "1 exit"}, "exits holding"},
		{"holding by another", []string{"1 locked 1", "2 holding"}, "is the holder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ck := newFenceChecker()
			var err error
			for _, line := range tc.history {
				if err = ck.apply(parseEvent(line)); err != nil {
					break
				}
			}
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
