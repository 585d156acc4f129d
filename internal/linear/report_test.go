package linear

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

var recheckFlag = flag.String("linear.recheck", "", "check again a history saved by a failed or inconclusive run (its .json file)")

// models are the models by name, as histories and their files name them,
// with the decoder of their inputs.
var models = map[string]struct {
	model func() porcupine.Model
	input func(json.RawMessage) (any, error)
}{
	"lock":      {lockModel, decode[lockInput]},
	"semaphore": {semModel, decode[semInput]},
	"queue":     {queueModel, decode[queueInput]},
	"dict":      {dictModel, decode[dictInput]},
	"value":     {valueModel, decode[valueInput]},
}

func decode[T any](raw json.RawMessage) (any, error) {
	var v T
	err := json.Unmarshal(raw, &v)
	return v, err
}

// forVariants records and checks a history of the workload wl for each
// variant, in subtests, with the model called model.
func forVariants(t *testing.T, model string, wl workload) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			h := record(t, v, seedFor(t), wl)
			h.model = model
			check(t, h)
		})
	}
}

// check checks that h is linearizable. When it is not, it writes the
// files report describes and fails the test with their paths. When the
// check does not finish in time, it saves h for -linear.recheck and logs
// where, without failing: porcupine found no violation.
func check(t *testing.T, h *history) {
	t.Helper()
	m := models[h.model].model()
	_, _, timeout := runSize()
	if *recheckFlag != "" {
		timeout = 10 * time.Minute
	}
	start := time.Now()
	res := porcupine.CheckOperationsTimeout(m, h.ops, timeout)
	t.Logf("linearizability: %s (checked in %v)", res, time.Since(start).Round(time.Millisecond))
	switch res {
	case porcupine.Unknown:
		base := outBase(t, h)
		saveHistory(t, h, base+".json")
		t.Logf("the check did not finish within %v, so the history is neither accepted nor refused; saved to %s.json", timeout, base)
	case porcupine.Illegal:
		t.Fatalf("the history is not linearizable (model %s, seed %d, variant %s):\n%s", h.model, h.seed, h.v.name, report(t, m, h))
	}
}

// outBase returns the path, without extension, of the files written
// about h: in $LATCHKEY_LINEAR_OUT, or in a new directory under
// os.TempDir (t.TempDir would be removed with the test).
func outBase(t *testing.T, h *history) string {
	dir := os.Getenv("LATCHKEY_LINEAR_OUT")
	var err error
	if dir == "" {
		dir, err = os.MkdirTemp("", "latchkey-linear-")
	} else {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	return filepath.Join(dir, strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())+fmt.Sprintf("-%d", h.seed))
}

// report writes, for a history h that m refuses: h itself (.json, for
// -linear.recheck), its listing (.txt), porcupine's visualization of it
// (.html), and the same for the shortest prefix of h that m refuses
// (-min.txt, -min.html): the violation happened by the end of that
// prefix. It returns a description of the files.
func report(t *testing.T, m porcupine.Model, h *history) string {
	t.Helper()
	base := outBase(t, h)
	var b strings.Builder
	saveHistory(t, h, base+".json")
	fmt.Fprintf(&b, "\thistory:       %s.json (check it again with -linear.recheck=%[1]s.json)\n", base)
	write := func(h *history, suffix string) {
		if err := os.WriteFile(base+suffix+".txt", h.listing(m), 0o644); err != nil {
			t.Errorf("report: %v", err)
		}
		_, _, timeout := runSize()
		_, info := porcupine.CheckOperationsVerbose(m, h.ops, timeout)
		info.AddAnnotations(h.notes)
		if err := porcupine.VisualizePath(m, info, base+suffix+".html"); err != nil {
			t.Errorf("report: %v", err)
		}
	}
	write(h, "")
	fmt.Fprintf(&b, "\tlisting:       %s.txt\n\tvisualization: %[1]s.html\n", base)
	// Minimise: the first refused partition (one object or key), and its
	// shortest refused prefix.
	part := h
	if m.Partition != nil {
		for _, ops := range m.Partition(h.ops) {
			if porcupine.CheckOperationsTimeout(m, ops, 20*time.Second) == porcupine.Illegal {
				p := *h
				p.ops = ops
				part = &p
				break
			}
		}
	}
	min := part
	if p := shortestIllegalPrefix(m, part); p != nil {
		min = p
	}
	if len(min.ops) < len(h.ops) {
		write(min, "-min")
		fmt.Fprintf(&b, "\tthe shortest refused prefix of the first refused partition: %d of %d operations, up to %v into the run\n\t(operations still in flight then are made unknown):\n",
			len(min.ops), len(h.ops), time.Duration(slices.MaxFunc(min.ops, func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) }).Call))
		fmt.Fprintf(&b, "\tlisting:       %s-min.txt\n\tvisualization: %[1]s-min.html\n", base)
	}
	return b.String()
}

// prefix returns h as it stood at time at: the operations called by then,
// with those that had not returned by then turned into operations of
// unknown outcome. A prefix relaxes h: if a prefix is not linearizable,
// neither is h, and the violation happened by time at.
func (h *history) prefix(at int64) *history {
	p := *h
	p.ops, p.notes = nil, nil
	for _, r := range h.notes {
		if r.Start <= at {
			p.notes = append(p.notes, r)
		}
	}
	for _, op := range h.ops {
		if op.Call > at {
			continue
		}
		if op.Return > at {
			op.Output, op.Return = output{St: stUnknown}, math.MaxInt64
			op.Metadata = "returned after the end of the prefix"
		}
		p.ops = append(p.ops, op)
	}
	return &p
}

// shortestIllegalPrefix returns the shortest prefix of h, cut at a call,
// that m refuses, or nil if there is none shorter than h (or the checks
// take too long). Prefixes are refused monotonically, so it bisects.
func shortestIllegalPrefix(m porcupine.Model, h *history) *history {
	var calls []int64
	for _, op := range h.ops {
		calls = append(calls, op.Call)
	}
	slices.Sort(calls)
	calls = slices.Compact(calls)
	refused := func(i int) bool {
		return porcupine.CheckOperationsTimeout(m, h.prefix(calls[i]).ops, 20*time.Second) == porcupine.Illegal
	}
	// Find the first i whose prefix is refused; len(calls) stands for h.
	lo, hi := 0, len(calls)
	for lo < hi {
		mid := lo + (hi-lo)/2
		if refused(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo == len(calls) {
		return nil
	}
	return h.prefix(calls[lo])
}

// listing renders h as text: one operation a line, in call order, with
// times in microseconds since the run started, and the restarts among
// them.
func (h *history) listing(m porcupine.Model) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# model %s, seed %d, variant %s (sync %s, %d restarts), %d operations\n",
		h.model, h.seed, h.v.name, h.v.sync, len(h.notes), len(h.ops))
	fmt.Fprintf(&b, "# call_us return_us worker operation [error]\n")
	ops := slices.Clone(h.ops)
	slices.SortStableFunc(ops, func(a, b porcupine.Operation) int { return cmp.Compare(a.Call, b.Call) })
	notes := h.notes
	for _, op := range ops {
		for len(notes) > 0 && notes[0].Start <= op.Call {
			fmt.Fprintf(&b, "%10d %10d server %s\n", notes[0].Start/1000, notes[0].End/1000, notes[0].Description)
			notes = notes[1:]
		}
		ret := "inf"
		if op.Return != math.MaxInt64 {
			ret = fmt.Sprint(op.Return / 1000)
		}
		fmt.Fprintf(&b, "%10d %10s w%d %s", op.Call/1000, ret, op.ClientId, m.DescribeOperation(op.Input, op.Output))
		if s, _ := op.Metadata.(string); s != "" {
			fmt.Fprintf(&b, " [%s]", s)
		}
		b.WriteByte('\n')
	}
	for _, r := range notes {
		fmt.Fprintf(&b, "%10d %10d server %s\n", r.Start/1000, r.End/1000, r.Description)
	}
	return []byte(b.String())
}

// savedHistory is the JSON form of a history.
type savedHistory struct {
	Model    string
	Seed     uint64
	Variant  string
	Restarts []porcupine.Annotation
	Ops      []savedOp
}

type savedOp struct {
	W            int
	Call, Return int64
	Input        json.RawMessage
	Output       output
	Error        string `json:",omitempty"`
}

func saveHistory(t *testing.T, h *history, path string) {
	t.Helper()
	s := savedHistory{Model: h.model, Seed: h.seed, Variant: h.v.name, Restarts: h.notes}
	for _, op := range h.ops {
		in, err := json.Marshal(op.Input)
		if err != nil {
			t.Fatalf("saving the history: %v", err)
		}
		meta, _ := op.Metadata.(string)
		s.Ops = append(s.Ops, savedOp{W: op.ClientId, Call: op.Call, Return: op.Return, Input: in, Output: op.Output.(output), Error: meta})
	}
	b, err := json.Marshal(s)
	if err == nil {
		err = os.WriteFile(path, b, 0o644)
	}
	if err != nil {
		t.Errorf("saving the history: %v", err)
	}
}

func loadHistory(path string) (*history, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s savedHistory
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	spec, ok := models[s.Model]
	if !ok {
		return nil, fmt.Errorf("%s: unknown model %q", path, s.Model)
	}
	h := &history{model: s.Model, seed: s.Seed, notes: s.Restarts}
	for _, v := range variants {
		if v.name == s.Variant {
			h.v = v
		}
	}
	for i, op := range s.Ops {
		in, err := spec.input(op.Input)
		if err != nil {
			return nil, fmt.Errorf("%s: operation %d: %w", path, i, err)
		}
		h.ops = append(h.ops, porcupine.Operation{ClientId: op.W, Input: in, Call: op.Call, Output: op.Output, Return: op.Return, Metadata: op.Error})
	}
	return h, nil
}

// TestRecheck checks the history that -linear.recheck names again, with
// a long timeout, and reports on it as a failed run does.
func TestRecheck(t *testing.T) {
	if *recheckFlag == "" {
		t.Skip("no -linear.recheck file")
	}
	h, err := loadHistory(*recheckFlag)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: model %s, seed %d, variant %s, %d operations: %s", *recheckFlag, h.model, h.seed, h.v.name, len(h.ops), h.summary())
	check(t, h)
}

// TestReport: a history the model refuses is reported with its
// listing, its visualization and its shortest refused prefix, and a saved
// history loads back as it was.
func TestReport(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("LATCHKEY_LINEAR_OUT", dir)
	h := &history{model: "lock", seed: 7, v: variants[1], ops: []porcupine.Operation{
		op(0, 0, 10, lockInput{lockLock, 0}, nOut(1)),
		op(1, 20, 30, lockInput{lockLocked, 1}, bOut(true)),
		op(1, 40, 50, lockInput{lockLock, 1}, nOut(2)), // while w0 holds it
		op(2, 45, 60, lockInput{lockLocked, 2}, bOut(true)),
		op(2, 70, -1, lockInput{lockUnlock, 2}, unknownOut),
		op(0, 80, 90, lockInput{lockLocked, 0}, bOut(true)),
	}, notes: []porcupine.Annotation{{Tag: "server", Start: 15, End: 18, Description: "restart 1"}}}
	m := lockModel()
	if res := porcupine.CheckOperations(m, h.ops); res {
		t.Fatal("the lock model accepts a history with two holders")
	}
	got := report(t, m, h)
	base := outBase(t, h)
	for _, suffix := range []string{".json", ".txt", ".html", "-min.txt", "-min.html"} {
		if !strings.Contains(got, base+suffix) {
			t.Errorf("the report does not name %s%s:\n%s", base, suffix, got)
		}
		if _, err := os.Stat(base + suffix); err != nil {
			t.Error(err)
		}
	}
	// Cut at 45, the second Lock is unknown, which makes the prefix
	// linearizable; cut at 70, it has returned.
	if p := shortestIllegalPrefix(m, h); p == nil || len(p.ops) != 5 {
		t.Errorf("shortest refused prefix = %v, want the first five operations", p)
	}
	listing, err := os.ReadFile(base + ".txt")
	if err != nil || !strings.Contains(string(listing), "w1 Lock() → fence 2") || !strings.Contains(string(listing), "server restart 1") {
		t.Errorf("listing:\n%s (%v)", listing, err)
	}
	back, err := loadHistory(base + ".json")
	if err != nil {
		t.Fatal(err)
	}
	if back.model != h.model || back.seed != h.seed || back.v != h.v || !slices.EqualFunc(back.ops, h.ops, func(a, b porcupine.Operation) bool {
		return a.ClientId == b.ClientId && a.Input == b.Input && a.Output == b.Output && a.Call == b.Call && a.Return == b.Return
	}) {
		t.Errorf("the saved history loads back as %+v, want %+v", back, h)
	}
}
