package proc

import (
	"context"
	"testing"

	"github.com/latchkey/latchkey"
)

var wireBenchSquare = Register("wireBenchSquare", func(ctx context.Context, x int) (int, error) { return x * x, nil })

// BenchmarkWire measures each stage of a Map chunk of 1 250 ints (the
// default chunk of BenchmarkPoolMap) without processes: the parent
// encoding the task, the worker parsing it and running the calls into the
// result frame, and the parent parsing and decoding the results. ns/op is
// per chunk; the costs per argument are ns/op ÷ 1 250.
func BenchmarkWire(b *testing.B) {
	f := wireBenchSquare
	xs := make([]int, 1250)
	for i := range xs {
		xs[i] = i * 8
	}
	p := &Pool{}
	cs, err := chunks(p, f, xs, 0, len(xs), nil)
	if err != nil {
		b.Fatal(err)
	}
	task := cs[0].frame[5:]
	_, _, args, _ := parseTask(task)
	res, _ := runTask(context.Background(), nil, 1, f.name, args)
	result := res.done(0)[5:]
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			chunks(p, f, xs, 0, len(xs), nil)
		}
	})
	b.Run("run", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			_, name, args, _ := parseTask(task)
			r, _ := runTask(b.Context(), buf, 1, name, args)
			buf = r.done(0)
		}
	})
	b.Run("decode", func(b *testing.B) {
		j := &mapJob[int]{codec: f.resc, vals: make([]int, len(xs)), left: 1 << 62}
		c := &chunk{n: len(xs)}
		for b.Loop() {
			_, _, rs, _ := parseResult(result, 1)
			j.deliver(c, rs)
		}
	})
	b.Run("decode-reflect", func(b *testing.B) {
		// The same with encoding/json's reflection, for comparison.
		j := &mapJob[int]{codec: plainCodec[int]{latchkey.JSON[int]{}}, vals: make([]int, len(xs)), left: 1 << 62}
		c := &chunk{n: len(xs)}
		for b.Loop() {
			_, _, rs, _ := parseResult(result, 1)
			j.deliver(c, rs)
		}
	})
}
