package server

import (
	"bytes"
	"container/list"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// dict is a Dict: insertion-ordered (a store to an existing key keeps its
// place), PopItem removes the newest key.
type dict struct {
	baseObject
	m     map[string]*list.Element // of *dictEntry
	order *list.List
}

type dictEntry struct {
	key string
	val []byte
}

func newDict() *dict { return &dict{m: make(map[string]*list.Element), order: list.New()} }

func (d *dict) kind() wire.ObjectType { return wire.ObjectDict }

func (d *dict) load(k string) ([]byte, bool) {
	if e := d.m[k]; e != nil {
		return e.Value.(*dictEntry).val, true
	}
	return nil, false
}

func (d *dict) store(k string, v []byte) {
	if e := d.m[k]; e != nil {
		e.Value.(*dictEntry).val = v
		return
	}
	d.m[k] = d.order.PushBack(&dictEntry{key: k, val: v})
}

func (d *dict) del(k string) {
	if e := d.m[k]; e != nil {
		d.order.Remove(e)
		delete(d.m, k)
	}
}

func (d *dict) do(m *machine, h *handle, q *wire.Request) {
	s := h.s
	nb := map[wire.Op]int{
		wire.OpDictLoad: 1, wire.OpDictStore: 2, wire.OpDictLoadOrStore: 2, wire.OpDictLoadAndDelete: 1,
		wire.OpDictDelete: 1, wire.OpDictSwap: 2, wire.OpDictCompareAndSwap: 3, wire.OpDictCompareAndDelete: 2,
		wire.OpDictPopItem: 0, wire.OpDictLen: 0, wire.OpDictKeys: 0, wire.OpDictAll: 0, wire.OpDictClear: 0,
	}
	if q.Op == wire.OpDictUpdate {
		if len(q.Ints) != 0 || len(q.Bytes)%2 != 0 {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindInvalid, "server: Dict.Update takes key-value pairs"))
			return
		}
		for i := 0; i < len(q.Bytes); i += 2 {
			d.store(string(q.Bytes[i]), q.Bytes[i+1])
		}
		m.reply(s, q.ID, nil, nil)
		return
	}
	n, ok := nb[q.Op]
	if !ok {
		m.invalidOp(s, q)
		return
	}
	if !argc(m, s, q, 0, n) {
		return
	}
	var key string
	if n > 0 {
		key = string(q.Bytes[0])
	}
	switch q.Op {
	case wire.OpDictLoad:
		v, ok := d.load(key)
		if ok {
			m.reply(s, q.ID, []int64{1}, [][]byte{v})
		} else {
			m.reply(s, q.ID, []int64{0}, nil)
		}
	case wire.OpDictStore:
		d.store(key, q.Bytes[1])
		m.reply(s, q.ID, nil, nil)
	case wire.OpDictLoadOrStore:
		v, ok := d.load(key)
		if !ok {
			v = q.Bytes[1]
			d.store(key, v)
		}
		m.reply(s, q.ID, []int64{boolInt(ok)}, [][]byte{v})
	case wire.OpDictLoadAndDelete, wire.OpDictSwap:
		v, ok := d.load(key)
		if ok && !m.fitsBytes(s, v) {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindOutOfRange, "server: the value does not fit the client's frame limit"))
			return
		}
		if q.Op == wire.OpDictSwap {
			d.store(key, q.Bytes[1])
		} else {
			d.del(key)
		}
		if ok {
			m.reply(s, q.ID, []int64{1}, [][]byte{v})
		} else {
			m.reply(s, q.ID, []int64{0}, nil)
		}
	case wire.OpDictDelete:
		d.del(key)
		m.reply(s, q.ID, nil, nil)
	case wire.OpDictCompareAndSwap:
		v, ok := d.load(key)
		sw := ok && bytes.Equal(v, q.Bytes[1])
		if sw {
			d.store(key, q.Bytes[2])
		}
		m.reply(s, q.ID, []int64{boolInt(sw)}, nil)
	case wire.OpDictCompareAndDelete:
		v, ok := d.load(key)
		del := ok && bytes.Equal(v, q.Bytes[1])
		if del {
			d.del(key)
		}
		m.reply(s, q.ID, []int64{boolInt(del)}, nil)
	case wire.OpDictPopItem:
		e := d.order.Back()
		if e == nil {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindEmpty, "server: popitem from an empty dict"))
			return
		}
		de := e.Value.(*dictEntry)
		if !m.fitsBytes(s, []byte(de.key), de.val) {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindOutOfRange, "server: the entry does not fit the client's frame limit"))
			return
		}
		d.del(de.key)
		m.reply(s, q.ID, nil, [][]byte{[]byte(de.key), de.val})
	case wire.OpDictLen:
		m.reply(s, q.ID, []int64{int64(len(d.m))}, nil)
	case wire.OpDictKeys, wire.OpDictAll:
		out := make([][]byte, 0, len(d.m))
		for e := d.order.Front(); e != nil; e = e.Next() {
			de := e.Value.(*dictEntry)
			out = append(out, []byte(de.key))
			if q.Op == wire.OpDictAll {
				out = append(out, de.val)
			}
		}
		m.reply(s, q.ID, nil, out)
	case wire.OpDictClear:
		clear(d.m)
		d.order.Init()
		m.reply(s, q.ID, nil, nil)
	}
}

func (d *dict) save(e *snapEncoder) {
	e.count(d.order.Len())
	for el := d.order.Front(); el != nil; el = el.Next() {
		de := el.Value.(*dictEntry)
		e.string(de.key)
		e.bytes(de.val)
	}
}

func (d *dict) restore(dec *snapDecoder) {
	for i, n := 0, dec.count("entries"); i < n && dec.err == nil; i++ {
		k := dec.string("key")
		if _, dup := d.m[k]; dup {
			dec.fail("key", "%q twice", k)
		}
		d.store(k, dec.bytes("value"))
	}
}
