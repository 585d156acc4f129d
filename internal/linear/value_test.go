package linear

import (
	"context"
	"fmt"
	"testing"

	"github.com/anishathalye/porcupine"
)

type valueOp uint8

const (
	valueLoad valueOp = iota
	valueStore
	valueAdd
	valueSwap
	valueCompareAndSwap
)

// valueInput is a call by worker w on the value: v is the value stored,
// the delta added or the new value of a compare-and-swap, old the value
// compared.
type valueInput struct {
	Op     valueOp
	V, Old int64
	W      int
}

func (in valueInput) String() string {
	switch in.Op {
	case valueLoad:
		return "Load()"
	case valueStore:
		return fmt.Sprintf("Store(%d)", in.V)
	case valueAdd:
		return fmt.Sprintf("Add(%d)", in.V)
	case valueSwap:
		return fmt.Sprintf("Swap(%d)", in.V)
	}
	return fmt.Sprintf("CompareAndSwap(%d, %d)", in.Old, in.V)
}

// valueModel is latchkey.Value[int64], initially 0: Load returns it, Add
// returns the new value, Swap the previous one, CompareAndSwap whether it
// swapped.
func valueModel() porcupine.Model {
	return porcupine.Model{
		Init: func() any { return int64(0) },
		Step: func(st, in, out any) (bool, any) {
			return valueStep(st.(int64), in.(valueInput), out.(output))
		},
		DescribeOperation: func(in, out any) string {
			o := out.(output)
			res := ""
			switch in.(valueInput).Op {
			case valueLoad, valueAdd, valueSwap:
				res = fmt.Sprint(o.N)
			case valueCompareAndSwap:
				res = fmt.Sprint(o.B)
			}
			return fmt.Sprintf("%v → %s", in, o.describe(res))
		},
		DescribeState: func(st any) string { return fmt.Sprint(st) },
	}
}

func valueStep(s int64, in valueInput, out output) (bool, int64) {
	if out.St == stCanceled {
		return true, s
	}
	if out.St != stOK && out.St != stUnknown {
		return false, s
	}
	unk := out.St == stUnknown // any output is fine; the effect is applied
	switch in.Op {
	case valueLoad:
		return unk || out.N == s, s
	case valueStore:
		return true, in.V
	case valueAdd:
		return unk || out.N == s+in.V, s + in.V
	case valueSwap:
		return unk || out.N == s, in.V
	case valueCompareAndSwap:
		if s == in.Old {
			return unk || out.B, in.V
		}
		return unk || !out.B, s
	}
	return false, s
}

// valueWorkload: a worker loads, stores small numbers, adds small deltas
// (negative too), swaps, and compares-and-swaps from the value it last
// saw (so that some succeed) or from a random one.
func valueWorkload(w *worker) (func(), error) {
	v, err := w.c.Value(w.ctx, "value")
	if err != nil {
		return nil, err
	}
	var seen int64
	return func() {
		in := valueInput{W: w.id, V: int64(w.rng.IntN(7) - 2)}
		var f func(context.Context) (output, error)
		num := func(n int64, err error) (output, error) { return output{N: n}, err }
		switch r := w.rng.IntN(100); {
		case r < 30:
			in.Op = valueLoad
			f = func(ctx context.Context) (output, error) { return num(v.Load(ctx)) }
		case r < 40:
			in.Op = valueStore
			f = func(ctx context.Context) (output, error) { return output{}, v.Store(ctx, in.V) }
		case r < 65:
			in.Op = valueAdd
			f = func(ctx context.Context) (output, error) { return num(v.Add(ctx, in.V)) }
		case r < 75:
			in.Op = valueSwap
			f = func(ctx context.Context) (output, error) { return num(v.Swap(ctx, in.V)) }
		default:
			in.Op, in.Old = valueCompareAndSwap, seen
			if r < 85 {
				in.Old = int64(w.rng.IntN(7) - 2)
			}
			in.V = in.Old + 1
			f = func(ctx context.Context) (output, error) {
				ok, err := v.CompareAndSwap(ctx, in.Old, in.V)
				return output{B: ok}, err
			}
		}
		out := w.do(in, 0, f)
		if out.St == stOK {
			switch in.Op {
			case valueLoad, valueAdd:
				seen = out.N
			case valueStore, valueSwap, valueCompareAndSwap:
				if in.Op != valueCompareAndSwap || out.B {
					seen = in.V
				}
			}
		}
	}, nil
}

// TestValue checks histories of an int64 value that eight workers read
// and update.
func TestValue(t *testing.T) { forVariants(t, "value", valueWorkload) }

// TestValueModel: the value model refuses lost updates, stale reads and
// compare-and-swaps that compare wrongly, and accepts overlapping and
// unknown outcomes that have a linearization.
func TestValueModel(t *testing.T) {
	in := func(op valueOp, old, v int64) valueInput { return valueInput{Op: op, Old: old, V: v} }
	bad := map[string][]porcupine.Operation{
		"lost add": {
			op(0, 0, 20, in(valueAdd, 0, 1), nOut(1)),
			op(1, 0, 20, in(valueAdd, 0, 1), nOut(1)),
		},
		"stale read": {
			op(0, 0, 10, in(valueStore, 0, 5), okOut),
			op(1, 20, 30, in(valueLoad, 0, 0), nOut(0)),
		},
		"two compare-and-swaps from 0 won": {
			op(0, 0, 20, in(valueCompareAndSwap, 0, 1), bOut(true)),
			op(1, 0, 20, in(valueCompareAndSwap, 0, 2), bOut(true)),
		},
		"swap returned the new value": {
			op(0, 0, 10, in(valueSwap, 0, 3), nOut(3)),
		},
	}
	good := map[string][]porcupine.Operation{
		"concurrent adds": {
			op(0, 0, 20, in(valueAdd, 0, 1), nOut(3)),
			op(1, 0, 20, in(valueAdd, 0, 2), nOut(2)),
			op(2, 30, 40, in(valueLoad, 0, 0), nOut(3)),
		},
		"an unknown add that added": {
			op(0, 0, -1, in(valueAdd, 0, 5), unknownOut),
			op(1, 10, 20, in(valueLoad, 0, 0), nOut(5)),
		},
		"an unknown add that did not": {
			op(0, 0, -1, in(valueAdd, 0, 5), unknownOut),
			op(1, 10, 20, in(valueLoad, 0, 0), nOut(0)),
			op(1, 30, 40, in(valueCompareAndSwap, 0, 1), bOut(true)),
		},
	}
	selfTest(t, valueModel(), bad, good)
}
