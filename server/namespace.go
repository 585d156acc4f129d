package server

import (
	"slices"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/internal/wire"
)

// namespace is a Namespace: named attributes; All lists them sorted.
type namespace struct {
	baseObject
	attrs map[string][]byte
}

func (ns *namespace) kind() wire.ObjectType { return wire.ObjectNamespace }

func (ns *namespace) do(m *machine, h *handle, q *wire.Request) {
	s := h.s
	switch q.Op {
	case wire.OpNamespaceLoad:
		if !argc(m, s, q, 0, 1) {
			return
		}
		v, ok := ns.attrs[string(q.Bytes[0])]
		if !ok {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindNotFound, "server: namespace has no attribute %q", q.Bytes[0]))
			return
		}
		m.reply(s, q.ID, nil, [][]byte{v})
	case wire.OpNamespaceStore:
		if argc(m, s, q, 0, 2) {
			ns.attrs[string(q.Bytes[0])] = q.Bytes[1]
			m.reply(s, q.ID, nil, nil)
		}
	case wire.OpNamespaceDelete:
		if !argc(m, s, q, 0, 1) {
			return
		}
		if _, ok := ns.attrs[string(q.Bytes[0])]; !ok {
			m.fail(s, q.ID, latchkey.Errorf(latchkey.KindNotFound, "server: namespace has no attribute %q", q.Bytes[0]))
			return
		}
		delete(ns.attrs, string(q.Bytes[0]))
		m.reply(s, q.ID, nil, nil)
	case wire.OpNamespaceAll:
		if !argc(m, s, q, 0, 0) {
			return
		}
		keys := make([]string, 0, len(ns.attrs))
		for k := range ns.attrs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out := make([][]byte, 0, 2*len(keys))
		for _, k := range keys {
			out = append(out, []byte(k), ns.attrs[k])
		}
		m.reply(s, q.ID, nil, out)
	default:
		m.invalidOp(s, q)
	}
}

func (ns *namespace) save(e *snapEncoder) {
	keys := sortedKeys(ns.attrs)
	e.count(len(keys))
	for _, k := range keys {
		e.string(k)
		e.bytes(ns.attrs[k])
	}
}

func (ns *namespace) restore(d *snapDecoder) {
	prev := ""
	for i, n := 0, d.count("attributes"); i < n && d.err == nil; i++ {
		k := d.string("attribute")
		if i > 0 && k <= prev {
			d.fail("attribute", "%q: names out of order or repeated", k)
		}
		prev = k
		ns.attrs[k] = d.bytes("value")
	}
}
