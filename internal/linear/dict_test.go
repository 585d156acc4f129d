package linear

import (
	"context"
	"fmt"
	"testing"

	"github.com/anishathalye/porcupine"
)

type dictOp uint8

const (
	dictLoad dictOp = iota
	dictStore
	dictDelete
	dictCompareAndSwap
	dictLoadOrStore
	dictLoadAndDelete
	dictSwap
	dictCompareAndDelete
)

// dictInput is a call by worker w on key of the dict; v is the value
// stored, old the value compared.
type dictInput struct {
	Op     dictOp
	Key    string
	V, Old string
	W      int
}

func (in dictInput) String() string {
	switch in.Op {
	case dictLoad:
		return fmt.Sprintf("Load(%s)", in.Key)
	case dictStore:
		return fmt.Sprintf("Store(%s, %s)", in.Key, in.V)
	case dictDelete:
		return fmt.Sprintf("Delete(%s)", in.Key)
	case dictCompareAndSwap:
		return fmt.Sprintf("CompareAndSwap(%s, %s, %s)", in.Key, in.Old, in.V)
	case dictLoadOrStore:
		return fmt.Sprintf("LoadOrStore(%s, %s)", in.Key, in.V)
	case dictLoadAndDelete:
		return fmt.Sprintf("LoadAndDelete(%s)", in.Key)
	case dictSwap:
		return fmt.Sprintf("Swap(%s, %s)", in.Key, in.V)
	}
	return fmt.Sprintf("CompareAndDelete(%s, %s)", in.Key, in.Old)
}

// dictState is one key of the dict: whether it is present, and its value.
type dictState struct {
	ok bool
	v  string
}

// dictModel is latchkey.Dict restricted to the per-key methods, which
// the model partitions by key: the outputs are (value, loaded) for Load,
// LoadOrStore, LoadAndDelete and Swap, and the boolean of CompareAndSwap
// and CompareAndDelete (false on a missing key, as sync.Map).
func dictModel() porcupine.Model {
	return porcupine.Model{
		Partition: partitionBy(func(in any) string { return in.(dictInput).Key }),
		Init:      func() any { return dictState{} },
		Step: func(st, in, out any) (bool, any) {
			return dictStep(st.(dictState), in.(dictInput), out.(output))
		},
		DescribeOperation: func(in, out any) string {
			o := out.(output)
			res := ""
			switch in.(dictInput).Op {
			case dictLoad, dictLoadOrStore, dictLoadAndDelete, dictSwap:
				res = fmt.Sprintf("%q, %v", o.S, o.B)
			case dictCompareAndSwap, dictCompareAndDelete:
				res = fmt.Sprint(o.B)
			}
			return fmt.Sprintf("%v → %s", in, o.describe(res))
		},
		DescribeState: func(st any) string {
			if s := st.(dictState); s.ok {
				return fmt.Sprintf("%q", s.v)
			}
			return "missing"
		},
	}
}

func dictStep(s dictState, in dictInput, out output) (bool, dictState) {
	if out.St == stCanceled {
		return true, s
	}
	if out.St != stOK && out.St != stUnknown {
		return false, s
	}
	unk := out.St == stUnknown // any output is fine; the effect is applied
	loaded := unk || (out.B == s.ok && (!s.ok || out.S == s.v))
	switch in.Op {
	case dictLoad:
		return loaded, s
	case dictStore:
		return true, dictState{true, in.V}
	case dictDelete:
		return true, dictState{}
	case dictCompareAndSwap:
		swap := s.ok && s.v == in.Old
		if swap {
			return unk || out.B, dictState{true, in.V}
		}
		return unk || !out.B, s
	case dictLoadOrStore:
		if s.ok {
			return unk || (out.B && out.S == s.v), s
		}
		return unk || (!out.B && out.S == in.V), dictState{true, in.V}
	case dictLoadAndDelete:
		return loaded, dictState{}
	case dictSwap:
		return loaded, dictState{true, in.V}
	case dictCompareAndDelete:
		del := s.ok && s.v == in.Old
		if del {
			return unk || out.B, dictState{}
		}
		return unk || !out.B, s
	}
	return false, s
}

// dictWorkload: four keys, three values, so that compare-and-swaps and
// compare-and-deletes succeed often enough; a worker compares with the
// value it last saw under the key, or with a random one.
func dictWorkload(w *worker) (func(), error) {
	d, err := w.c.Dict(w.ctx, "dict")
	if err != nil {
		return nil, err
	}
	values := []string{"a", "b", "c"}
	seen := map[string]string{}
	return func() {
		in := dictInput{Key: fmt.Sprintf("k%d", w.rng.IntN(4)), V: values[w.rng.IntN(3)], W: w.id}
		in.Old = values[w.rng.IntN(3)]
		if s, ok := seen[in.Key]; ok && w.rng.IntN(2) == 0 {
			in.Old = s
		}
		loaded := func(v []byte, ok bool, err error) (output, error) { return output{S: string(v), B: ok}, err }
		var f func(context.Context) (output, error)
		switch r := w.rng.IntN(100); {
		case r < 25:
			in.Op = dictLoad
			f = func(ctx context.Context) (output, error) { return loaded(d.Load(ctx, in.Key)) }
		case r < 40:
			in.Op = dictStore
			f = func(ctx context.Context) (output, error) { return output{}, d.Store(ctx, in.Key, []byte(in.V)) }
		case r < 48:
			in.Op = dictDelete
			f = func(ctx context.Context) (output, error) { return output{}, d.Delete(ctx, in.Key) }
		case r < 63:
			in.Op = dictCompareAndSwap
			f = func(ctx context.Context) (output, error) {
				ok, err := d.CompareAndSwap(ctx, in.Key, []byte(in.Old), []byte(in.V))
				return output{B: ok}, err
			}
		case r < 71:
			in.Op = dictLoadOrStore
			f = func(ctx context.Context) (output, error) { return loaded(d.LoadOrStore(ctx, in.Key, []byte(in.V))) }
		case r < 79:
			in.Op = dictLoadAndDelete
			f = func(ctx context.Context) (output, error) { return loaded(d.LoadAndDelete(ctx, in.Key)) }
		case r < 90:
			in.Op = dictSwap
			f = func(ctx context.Context) (output, error) { return loaded(d.Swap(ctx, in.Key, []byte(in.V))) }
		default:
			in.Op = dictCompareAndDelete
			f = func(ctx context.Context) (output, error) {
				ok, err := d.CompareAndDelete(ctx, in.Key, []byte(in.Old))
				return output{B: ok}, err
			}
		}
		out := w.do(in, 0, f)
		if out.St == stOK && out.B && in.Op != dictCompareAndSwap && in.Op != dictCompareAndDelete {
			seen[in.Key] = out.S
		}
	}, nil
}

// TestDict checks histories of a dict whose four keys eight workers read
// and update.
func TestDict(t *testing.T) { forVariants(t, "dict", dictWorkload) }

// TestDictModel: the dict model refuses stale reads, lost updates and
// compare-and-swaps that compare wrongly, and accepts overlapping and
// unknown outcomes that have a linearization.
func TestDictModel(t *testing.T) {
	in := func(op dictOp, key, old, v string) dictInput { return dictInput{Op: op, Key: key, Old: old, V: v} }
	loaded := func(v string) output { return output{S: v, B: true} }
	bad := map[string][]porcupine.Operation{
		"stale read": {
			op(0, 0, 10, in(dictStore, "k", "", "a"), okOut),
			op(0, 20, 30, in(dictStore, "k", "", "b"), okOut),
			op(1, 40, 50, in(dictLoad, "k", "", ""), loaded("a")),
		},
		"two swaps won": {
			op(0, 0, 10, in(dictStore, "k", "", "a"), okOut),
			op(1, 20, 40, in(dictCompareAndSwap, "k", "a", "b"), bOut(true)),
			op(2, 20, 40, in(dictCompareAndSwap, "k", "a", "c"), bOut(true)),
		},
		"swap on a missing key": {
			op(1, 0, 10, in(dictCompareAndSwap, "k", "", "b"), bOut(true)),
		},
		"deleted key read": {
			op(0, 0, 10, in(dictStore, "k", "", "a"), okOut),
			op(0, 20, 30, in(dictLoadAndDelete, "k", "", ""), loaded("a")),
			op(1, 40, 50, in(dictLoad, "k", "", ""), loaded("a")),
		},
		"LoadOrStore stored over a value": {
			op(0, 0, 10, in(dictStore, "k", "", "a"), okOut),
			op(1, 20, 30, in(dictLoadOrStore, "k", "", "b"), output{S: "b"}),
		},
		"keys leak into each other": {
			op(0, 0, 10, in(dictStore, "k1", "", "a"), okOut),
			op(1, 20, 30, in(dictLoad, "k2", "", ""), loaded("a")),
		},
	}
	good := map[string][]porcupine.Operation{
		"one swap of two wins": {
			op(0, 0, 10, in(dictStore, "k", "", "a"), okOut),
			op(1, 20, 40, in(dictCompareAndSwap, "k", "a", "b"), bOut(false)),
			op(2, 20, 40, in(dictCompareAndSwap, "k", "a", "c"), bOut(true)),
			op(0, 50, 60, in(dictSwap, "k", "", "a"), loaded("c")),
		},
		"an unknown Store that stored": {
			op(0, 0, -1, in(dictStore, "k", "", "a"), unknownOut),
			op(1, 10, 20, in(dictLoad, "k", "", ""), loaded("a")),
			op(1, 30, 40, in(dictCompareAndDelete, "k", "a", ""), bOut(true)),
		},
	}
	selfTest(t, dictModel(), bad, good)
}
