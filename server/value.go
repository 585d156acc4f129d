package server

import (
	"math"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// num is an int64 or a float64 (stored as its bits) with the arithmetic
// of Value and Array.
type num struct{ float bool }

func (n num) add(a, b int64) int64 {
	if n.float {
		return int64(math.Float64bits(math.Float64frombits(uint64(a)) + math.Float64frombits(uint64(b))))
	}
	return a + b
}

// value is a Value or FloatValue.
type value struct {
	baseObject
	float bool
	v     int64 // the number, or a float64's bits
}

func (v *value) kind() wire.ObjectType {
	if v.float {
		return wire.ObjectFloatValue
	}
	return wire.ObjectValue
}

func (v *value) do(m *machine, h *handle, q *wire.Request) {
	s := h.s
	op := q.Op & 0xFF // the same low bytes for Value and FloatValue
	want := map[wire.Op]int{0x01: 0, 0x02: 1, 0x03: 1, 0x04: 1, 0x05: 2}
	n, ok := want[op]
	if !ok {
		m.invalidOp(s, q)
		return
	}
	if !argc(m, s, q, n, 0) {
		return
	}
	switch op {
	case 0x01:
		m.reply(s, q.ID, []int64{v.v}, nil)
	case 0x02:
		v.v = q.Ints[0]
		m.reply(s, q.ID, nil, nil)
	case 0x03:
		v.v = num{v.float}.add(v.v, q.Ints[0])
		m.reply(s, q.ID, []int64{v.v}, nil)
	case 0x04:
		old := v.v
		v.v = q.Ints[0]
		m.reply(s, q.ID, []int64{old}, nil)
	case 0x05:
		sw := v.v == q.Ints[0]
		if sw {
			v.v = q.Ints[1]
		}
		m.reply(s, q.ID, []int64{boolInt(sw)}, nil)
	}
}

// array is an Array or FloatArray of fixed length.
type array struct {
	baseObject
	float bool
	a     []int64
}

func newArray(p []int64, float bool) (object, error) {
	if p[0] < 0 || p[0] > wire.MaxArgs {
		return nil, latchkey.Errorf(latchkey.KindInvalid, "server: array length %d outside [0, %d]", p[0], wire.MaxArgs)
	}
	return &array{float: float, a: make([]int64, p[0])}, nil
}

func (a *array) kind() wire.ObjectType {
	if a.float {
		return wire.ObjectFloatArray
	}
	return wire.ObjectArray
}

func (a *array) sameParams(_ *machine, _ *session, p []int64) error {
	if len(p) != 1 || p[0] != int64(len(a.a)) {
		return latchkey.Errorf(latchkey.KindMismatch, "server: array exists with length %d", len(a.a))
	}
	return nil
}

func (a *array) idx(i int64) (int, error) {
	if i < 0 || i >= int64(len(a.a)) {
		return 0, latchkey.Errorf(latchkey.KindOutOfRange, "server: array index %d out of range for length %d", i, len(a.a))
	}
	return int(i), nil
}

func (a *array) do(m *machine, h *handle, q *wire.Request) {
	s := h.s
	op := q.Op & 0xFF
	want := map[wire.Op]int{0x01: 1, 0x02: 2, 0x03: 2, 0x04: 3, 0x05: 2}
	if op == 0x06 { // StoreRange: [lo, v0, v1, ...]
		if len(q.Bytes) != 0 || len(q.Ints) < 1 {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindInvalid, "server: StoreRange takes [lo, values...]"))
			return
		}
		lo, vs := q.Ints[0], q.Ints[1:]
		if lo < 0 || lo > int64(len(a.a)) || int64(len(vs)) > int64(len(a.a))-lo {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindOutOfRange, "server: range [%d, %d) out of range for length %d", lo, lo+int64(len(vs)), len(a.a)))
			return
		}
		copy(a.a[lo:], vs)
		m.reply(s, q.ID, nil, nil)
		return
	}
	n, ok := want[op]
	if !ok {
		m.invalidOp(s, q)
		return
	}
	if !argc(m, s, q, n, 0) {
		return
	}
	if op == 0x05 {
		lo, hi := q.Ints[0], q.Ints[1]
		if lo < 0 || lo > hi || hi > int64(len(a.a)) {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindOutOfRange, "server: range [%d, %d) out of range for length %d", lo, hi, len(a.a)))
			return
		}
		m.reply(s, q.ID, append([]int64(nil), a.a[lo:hi]...), nil)
		return
	}
	i, err := a.idx(q.Ints[0])
	if err != nil {
		m.fail(s, q.ID, err)
		return
	}
	switch op {
	case 0x01:
		m.reply(s, q.ID, []int64{a.a[i]}, nil)
	case 0x02:
		a.a[i] = q.Ints[1]
		m.reply(s, q.ID, nil, nil)
	case 0x03:
		a.a[i] = num{a.float}.add(a.a[i], q.Ints[1])
		m.reply(s, q.ID, []int64{a.a[i]}, nil)
	case 0x04:
		sw := a.a[i] == q.Ints[1]
		if sw {
			a.a[i] = q.Ints[2]
		}
		m.reply(s, q.ID, []int64{boolInt(sw)}, nil)
	}
}

func (v *value) save(e *snapEncoder) { e.varint(v.v) }

func (v *value) restore(d *snapDecoder) { v.v = d.varint("value") }

func (a *array) save(e *snapEncoder) {
	e.count(len(a.a))
	for _, x := range a.a {
		e.varint(x)
	}
}

func (a *array) restore(d *snapDecoder) {
	n := d.count("elements")
	a.a = make([]int64, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		a.a = append(a.a, d.varint("element"))
	}
}
