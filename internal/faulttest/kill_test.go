//go:build unix

package faulttest

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/server"
)

var (
	seedFlag = flag.Uint64("faulttest.seed", 0, "seed of the fault tests (0: $LATCHKEY_FAULTTEST_SEED, or random)")
	longFlag = flag.Bool("faulttest.long", false, "run the long version of the fault tests")
)

// seedEnv overrides a random seed when -faulttest.seed is not given.
const seedEnv = "LATCHKEY_FAULTTEST_SEED"

// scale is how much a run does.
type scale struct {
	kills   int // server kills per sync mode
	clients int // client processes
	minAcks int // acknowledgements between a restart and the next kill,
	maxAcks int // unless the kill comes right after the restart
}

var (
	short = scale{kills: 4, clients: 3, minAcks: 30, maxAcks: 250}
	long  = scale{kills: 40, clients: 5, minAcks: 50, maxAcks: 1500}
)

// testSeed returns the seed of t: -faulttest.seed, $LATCHKEY_FAULTTEST_SEED
// or a random one, which it logs.
func testSeed(t *testing.T) uint64 {
	seed := *seedFlag
	if seed == 0 {
		if s := os.Getenv(seedEnv); s != "" {
			var err error
			if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
				t.Fatalf("bad %s: %v", seedEnv, err)
			}
		}
	}
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (rerun with -run '^%s$' -faulttest.seed=%d)", seed, t.Name(), seed)
	return seed
}

// TestKillServer kills a durable server with SIGKILL at random moments
// under a mixed load from client processes, starts it again on the same
// data directory and port each time, and then checks that nothing
// acknowledged was lost or applied twice, that every item put was
// delivered once, that fences only grew, and that every session, and
// the lock one of them held all along, survived. See the package doc.
func TestKillServer(t *testing.T) {
	sc := short
	if *longFlag {
		sc = long
	}
	for _, mode := range []server.Sync{server.SyncAlways, server.SyncInterval, server.SyncNever} {
		t.Run(string(mode), func(t *testing.T) { testKillServer(t, mode, sc) })
	}
}

func testKillServer(t *testing.T, mode server.Sync, sc scale) {
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0x4b11))
	h := newHarness(t, mode)
	t.Logf("%v", h)
	h.startServer()
	for id := 1; id <= sc.clients; id++ {
		h.startClient(id, rng.Uint64(), id == 1)
	}
	heldFence := h.find("1", "held")

	// The parent's own client, to check the held lock after each restart
	// and the state at the end.
	ctx, cancel := context.WithTimeout(t.Context(), 5*waitLimit)
	defer cancel()
	c, err := client.Dial(ctx, &client.Config{
		Addr: h.addr, TTL: clientTTL, Label: "faulttest-parent", ReconnectMin: 5 * time.Millisecond, ReconnectMax: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	held, err := c.Lock(ctx, heldName)
	if err != nil {
		t.Fatal(err)
	}
	mustBeHeld := func(when string) {
		t.Helper()
		if f, err := held.TryLock(ctx); !errors.Is(err, latchkey.ErrLocked) {
			t.Fatalf("%s: the parent's TryLock of the lock client 1 holds = %d, %v; want ErrLocked", when, f, err)
		}
	}
	mustBeHeld("before any kill")

	for k := 1; k <= sc.kills; k++ {
		n := sc.minAcks + rng.IntN(sc.maxAcks-sc.minAcks+1)
		if rng.IntN(4) == 0 {
			n = rng.IntN(5) // before the clients are back, or just after
		}
		want := h.ackCount() + n
		h.await(fmt.Sprintf("%d acknowledged operations before kill %d", want, k), func() bool { return h.acks >= want })
		acks := h.ackCount()
		h.killServer()
		h.startServer()
		t.Logf("kill %d at %d acknowledgements", k, acks)
		mustBeHeld(fmt.Sprintf("after kill %d", k))
	}
	want := h.ackCount() + sc.minAcks
	h.await(fmt.Sprintf("%d acknowledged operations after the last restart", want), func() bool { return h.acks >= want })

	// Stop the load; the held lock is still held until its holder
	// unlocks it.
	for id := 1; id <= sc.clients; id++ {
		h.send(id, "stop")
	}
	for id := 1; id <= sc.clients; id++ {
		who := strconv.Itoa(id)
		h.await("client "+who+" to stop", func() bool { return h.seen(who, "stopped") })
	}
	mustBeHeld("after the load stopped")
	h.send(1, "unlock")
	h.await("client 1 to unlock", func() bool { return h.seen("1", "unlocked") })
	f, err := held.TryLock(ctx)
	if err != nil {
		t.Fatalf("TryLock once the holder unlocked: %v", err)
	}
	if hf, _ := heldFence.int(0); int64(f) <= hf {
		t.Errorf("fence of the lock after its holder unlocked = %d, want above the holder's %d", f, hf)
	}
	if err := held.Unlock(ctx); err != nil {
		t.Fatal(err)
	}

	// The clients exit; each reports whether its session survived.
	for _, p := range h.clients {
		p.CloseStdin()
	}
	for _, p := range h.clients {
		h.exited(p)
	}
	evs := h.reports()
	var problems []string
	problems = append(problems, checkSessions(evs, sc.clients)...)
	problems = append(problems, checkValue(ctx, c, evs)...)
	problems = append(problems, checkDict(ctx, c, evs)...)
	problems = append(problems, checkQueue(ctx, c, evs)...)
	problems = append(problems, checkLocks(evs, mode)...)
	if err := c.Err(); err != nil {
		problems = append(problems, "the parent's client lost its session: "+err.Error())
	}
	c.Close()
	h.stopServer()
	snaps, _ := filepath.Glob(filepath.Join(h.data, "wal", "*.snap"))
	if len(snaps) == 0 {
		problems = append(problems, "no snapshot in the data directory: compaction never ran")
	}
	if len(problems) > 0 {
		if len(problems) > 40 {
			problems = append(problems[:40], fmt.Sprintf("... and %d more", len(problems)-40))
		}
		t.Fatalf("after %d kills:\n%s", sc.kills, strings.Join(problems, "\n"))
	}
	for _, p := range h.servers[1:] {
		t.Logf("%s recovered: %s", p.Name, h.recovery(p))
	}
	counts := map[string]int{}
	for _, ev := range evs {
		counts[ev.verb]++
	}
	t.Logf("%d kills, %d acknowledged operations: %d adds, %d stores, %d puts, %d gets, %d lock grants",
		sc.kills, h.ackCount(), counts["add"], counts["store"], counts["put"], counts["got"], counts["locked"])
}

// checkSessions checks that every client ended with the session it
// started with, alive.
func checkSessions(evs []event, clients int) []string {
	var out []string
	ready, end := map[string]string{}, map[string]event{}
	for _, ev := range evs {
		switch ev.verb {
		case "ready":
			ready[ev.who] = ev.arg(0)
		case "end":
			end[ev.who] = ev
		}
	}
	for id := 1; id <= clients; id++ {
		who := strconv.Itoa(id)
		ev, ok := end[who]
		switch {
		case !ok:
			out = append(out, "client "+who+" did not report its end")
		case ev.arg(1) != "ok":
			out = append(out, fmt.Sprintf("client %s lost its session: %s", who, strings.Join(ev.args[1:], " ")))
		case ev.arg(0) != ready[who]:
			out = append(out, fmt.Sprintf("client %s ended with session %s, started with %s", who, ev.arg(0), ready[who]))
		}
	}
	return out
}

// checkValue checks that the Value is the sum of the acknowledged Adds
// and that, sorted by the value they returned, each Add returned the one
// before plus its delta: the server applied each acknowledged Add once,
// and nothing else.
func checkValue(ctx context.Context, c *client.Client, evs []event) []string {
	type add struct{ delta, result int64 }
	var adds []add
	var out []string
	for _, ev := range evs {
		if ev.verb != "add" {
			continue
		}
		d, ok1 := ev.int(0)
		r, ok2 := ev.int(1)
		if !ok1 || !ok2 {
			out = append(out, "bad report "+ev.line)
			continue
		}
		adds = append(adds, add{d, r})
	}
	slices.SortFunc(adds, func(a, b add) int { return cmp.Compare(a.result, b.result) })
	var prev, sum int64
	for _, a := range adds {
		sum += a.delta
		if a.result != prev+a.delta {
			out = append(out, fmt.Sprintf("an Add of %d returned %d, the Add before it returned %d", a.delta, a.result, prev))
		}
		prev = a.result
	}
	v, err := c.Value(ctx, valueName)
	if err != nil {
		return append(out, "opening the value: "+err.Error())
	}
	got, err := v.Load(ctx)
	if err != nil {
		return append(out, "loading the value: "+err.Error())
	}
	if got != sum {
		out = append(out, fmt.Sprintf("Value = %d, the %d acknowledged Adds sum to %d", got, len(adds), sum))
	}
	return out
}

// checkDict checks that every acknowledged Store is there with its value,
// and nothing else.
func checkDict(ctx context.Context, c *client.Client, evs []event) []string {
	d, err := c.Dict(ctx, dictName)
	if err != nil {
		return []string{"opening the dict: " + err.Error()}
	}
	var out []string
	stores := 0
	for _, ev := range evs {
		if ev.verb != "store" {
			continue
		}
		stores++
		got, ok, err := d.Load(ctx, ev.arg(0))
		switch {
		case err != nil:
			return append(out, "dict load: "+err.Error())
		case !ok:
			out = append(out, fmt.Sprintf("acknowledged Store of %s by client %s lost", ev.arg(0), ev.who))
		case string(got) != ev.arg(1):
			out = append(out, fmt.Sprintf("%s = %q, client %s stored %q", ev.arg(0), got, ev.who, ev.arg(1)))
		}
	}
	if n, err := d.Len(ctx); err != nil || n != stores {
		out = append(out, fmt.Sprintf("the dict has %d keys (%v), %d Stores were acknowledged", n, err, stores))
	}
	return out
}

// checkQueue drains the queue, marking each item done, and checks that
// every acknowledged Put was delivered exactly once (to a consumer or to
// the drain), that no item came that was not put, and that every task
// is done.
func checkQueue(ctx context.Context, c *client.Client, evs []event) []string {
	q, err := c.Queue(ctx, queueName, latchkey.QueueOptions{})
	if err != nil {
		return []string{"opening the queue: " + err.Error()}
	}
	var out []string
	got := map[string][]string{} // item: who got it
	for _, ev := range evs {
		if ev.verb == "got" {
			got[ev.arg(0)] = append(got[ev.arg(0)], "client "+ev.who)
		}
	}
	for {
		it, err := q.TryGet(ctx)
		if errors.Is(err, latchkey.ErrEmpty) {
			break
		}
		if err != nil {
			return append(out, "draining the queue: "+err.Error())
		}
		got[string(it)] = append(got[string(it)], "the drain")
		if err := q.TaskDone(ctx); err != nil {
			return append(out, "TaskDone of the drain: "+err.Error())
		}
	}
	put := map[string]bool{}
	for _, ev := range evs {
		if ev.verb != "put" {
			continue
		}
		put[ev.arg(0)] = true
		switch who := got[ev.arg(0)]; len(who) {
		case 0:
			out = append(out, fmt.Sprintf("acknowledged Put of %s by client %s never delivered", ev.arg(0), ev.who))
		case 1:
		default:
			out = append(out, fmt.Sprintf("item %s delivered %d times: to %s", ev.arg(0), len(who), strings.Join(who, ", ")))
		}
	}
	for it, who := range got {
		if !put[it] {
			out = append(out, fmt.Sprintf("item %s, got by %s, was never put", it, strings.Join(who, ", ")))
		}
	}
	if n, err := q.Unfinished(ctx); err != nil || n != 0 {
		out = append(out, fmt.Sprintf("%d unfinished tasks (%v) once every item was marked done", n, err))
	} else if err := q.Join(ctx); err != nil {
		out = append(out, "Join: "+err.Error())
	}
	return out
}

// grant is a lock grant a client observed, with the wall clock times at
// which the Lock returned and the Unlock started.
type grant struct {
	who       string
	fence     int64
	locked    int64
	unlocking int64
}

// checkLocks checks, for each lock, that the grants sorted by fence do
// not overlap in time, that each client saw its fences increase, and
// under SyncAlways that the fences are consecutive. Across processes the
// wall clock is one clock, read in causal order: a grant's Lock returns
// after the previous holder's Unlock started.
func checkLocks(evs []event, mode server.Sync) []string {
	var out []string
	grants := map[string][]*grant{}
	open := map[string]*grant{} // who+name+fence: a grant not unlocked yet
	for _, ev := range evs {
		if ev.verb != "locked" && ev.verb != "unlocking" {
			continue
		}
		name := ev.arg(0)
		f, ok1 := ev.int(1)
		ts, ok2 := ev.int(2)
		if !ok1 || !ok2 {
			out = append(out, "bad report "+ev.line)
			continue
		}
		key := ev.who + " " + name + " " + ev.arg(1)
		if ev.verb == "locked" {
			g := &grant{who: ev.who, fence: f, locked: ts}
			grants[name] = append(grants[name], g)
			open[key] = g
			continue
		}
		g := open[key]
		if g == nil {
			out = append(out, "unlocking without its grant: "+ev.line)
			continue
		}
		g.unlocking = ts
		delete(open, key)
	}
	for key := range open {
		out = append(out, "a grant never unlocked: "+key)
	}
	for _, name := range slices.Sorted(maps.Keys(grants)) {
		gs := grants[name]
		last := map[string]int64{}
		for _, g := range gs { // in report order: each client's own order
			if g.fence <= last[g.who] {
				out = append(out, fmt.Sprintf("%s: client %s got fence %d after %d", name, g.who, g.fence, last[g.who]))
			}
			last[g.who] = g.fence
		}
		slices.SortFunc(gs, func(a, b *grant) int { return cmp.Compare(a.fence, b.fence) })
		for i := 1; i < len(gs); i++ {
			a, b := gs[i-1], gs[i]
			switch {
			case a.fence == b.fence:
				out = append(out, fmt.Sprintf("%s: fence %d granted to clients %s and %s", name, a.fence, a.who, b.who))
			case b.locked < a.unlocking && a.unlocking != 0:
				out = append(out, fmt.Sprintf("%s: client %s was granted fence %d %v before client %s started to unlock fence %d",
					name, b.who, b.fence, time.Duration(a.unlocking-b.locked), a.who, a.fence))
			case b.fence != a.fence+1 && (mode == server.SyncAlways || b.fence%(1<<40) != 1):
				out = append(out, fmt.Sprintf("%s: fence %d (client %s) follows fence %d (client %s): a grant nobody saw", name, b.fence, b.who, a.fence, a.who))
			}
		}
	}
	return out
}
