package server

import (
	"bytes"
	"slices"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// listObject is a List with Python's index rules.
type listObject struct {
	baseObject
	items [][]byte
}

func (l *listObject) kind() wire.ObjectType { return wire.ObjectList }

func (l *listObject) index(i int64) (int, error) {
	n := int64(len(l.items))
	j := i
	if j < 0 {
		j += n
	}
	if j < 0 || j >= n {
		return 0, latchkey.Errorf(latchkey.KindOutOfRange, "server: list index %d out of range for length %d", i, n)
	}
	return int(j), nil
}

func listClamp(i int64, n int) int {
	if i < 0 {
		i += int64(n)
	}
	return int(min(max(i, 0), int64(n)))
}

func (l *listObject) find(v []byte) int {
	return slices.IndexFunc(l.items, func(e []byte) bool { return bytes.Equal(e, v) })
}

func (l *listObject) do(m *machine, h *handle, q *wire.Request) {
	s := h.s
	type shape struct{ ints, bs int }
	shapes := map[wire.Op]shape{
		wire.OpListInsert: {1, 1}, wire.OpListGet: {1, 0}, wire.OpListSet: {1, 1}, wire.OpListPop: {1, 0},
		wire.OpListRemove: {0, 1}, wire.OpListIndex: {0, 1}, wire.OpListCount: {0, 1}, wire.OpListLen: {0, 0},
		wire.OpListSlice: {2, 0}, wire.OpListAll: {0, 0}, wire.OpListReverse: {0, 0}, wire.OpListSort: {0, 0},
		wire.OpListClear: {0, 0},
	}
	if q.Op == wire.OpListAppend {
		if len(q.Ints) != 0 {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindInvalid, "server: List.Append takes no ints"))
			return
		}
		l.items = append(l.items, q.Bytes...)
		m.reply(s, q.ID, nil, nil)
		return
	}
	sh, ok := shapes[q.Op]
	if !ok {
		m.invalidOp(s, q)
		return
	}
	if !argc(m, s, q, sh.ints, sh.bs) {
		return
	}
	switch q.Op {
	case wire.OpListInsert:
		l.items = slices.Insert(l.items, listClamp(q.Ints[0], len(l.items)), q.Bytes[0])
		m.reply(s, q.ID, nil, nil)
	case wire.OpListGet:
		j, err := l.index(q.Ints[0])
		if err != nil {
			m.fail(s, q.ID, err)
			return
		}
		m.reply(s, q.ID, nil, [][]byte{l.items[j]})
	case wire.OpListSet:
		j, err := l.index(q.Ints[0])
		if err != nil {
			m.fail(s, q.ID, err)
			return
		}
		l.items[j] = q.Bytes[0]
		m.reply(s, q.ID, nil, nil)
	case wire.OpListPop:
		if len(l.items) == 0 {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindEmpty, "server: pop from an empty list"))
			return
		}
		j, err := l.index(q.Ints[0])
		if err != nil {
			m.fail(s, q.ID, err)
			return
		}
		v := l.items[j]
		if !m.fitsBytes(s, v) {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindOutOfRange, "server: the element does not fit the client's frame limit"))
			return
		}
		l.items = slices.Delete(l.items, j, j+1)
		m.reply(s, q.ID, nil, [][]byte{v})
	case wire.OpListRemove:
		j := l.find(q.Bytes[0])
		if j < 0 {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindNotFound, "server: list.remove: value not in list"))
			return
		}
		l.items = slices.Delete(l.items, j, j+1)
		m.reply(s, q.ID, nil, nil)
	case wire.OpListIndex:
		j := l.find(q.Bytes[0])
		if j < 0 {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindNotFound, "server: list.index: value not in list"))
			return
		}
		m.reply(s, q.ID, []int64{int64(j)}, nil)
	case wire.OpListCount:
		n := 0
		for _, e := range l.items {
			if bytes.Equal(e, q.Bytes[0]) {
				n++
			}
		}
		m.reply(s, q.ID, []int64{int64(n)}, nil)
	case wire.OpListLen:
		m.reply(s, q.ID, []int64{int64(len(l.items))}, nil)
	case wire.OpListSlice:
		n := len(l.items)
		lo, hi := listClamp(q.Ints[0], n), listClamp(q.Ints[1], n)
		hi = max(lo, hi)
		m.reply(s, q.ID, nil, slices.Clone(l.items[lo:hi]))
	case wire.OpListAll:
		m.reply(s, q.ID, nil, slices.Clone(l.items))
	case wire.OpListReverse:
		slices.Reverse(l.items)
		m.reply(s, q.ID, nil, nil)
	case wire.OpListSort:
		slices.SortStableFunc(l.items, bytes.Compare)
		m.reply(s, q.ID, nil, nil)
	case wire.OpListClear:
		l.items = nil
		m.reply(s, q.ID, nil, nil)
	}
}

func (l *listObject) save(e *snapEncoder) {
	e.count(len(l.items))
	for _, v := range l.items {
		e.bytes(v)
	}
}

func (l *listObject) restore(d *snapDecoder) {
	n := d.count("items")
	if n > 0 {
		l.items = make([][]byte, 0, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		l.items = append(l.items, d.bytes("item"))
	}
}
