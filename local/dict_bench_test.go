package local_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/local"
)

// benchKeys is the key space of the Dict benchmarks.
var benchKeys = func() []string {
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "key-" + strconv.Itoa(i)
	}
	return keys
}()

// benchStoreLoad is the operation the Dict benchmarks compare: a Store
// then a Load of one key.
type benchStoreLoad interface {
	storeLoad(ctx context.Context, key string, v []byte) []byte
}

type benchLocalDict struct{ d local.Dict }

func (m *benchLocalDict) storeLoad(ctx context.Context, key string, v []byte) []byte {
	_ = m.d.Store(ctx, key, v)
	out, _, _ := m.d.Load(ctx, key)
	return out
}

// benchSyncMap copies values in and out, as the Dict does, so that the
// comparison is fair.
type benchSyncMap struct{ m sync.Map }

func (m *benchSyncMap) storeLoad(_ context.Context, key string, v []byte) []byte {
	m.m.Store(key, append([]byte(nil), v...))
	out, _ := m.m.Load(key)
	return append([]byte(nil), out.([]byte)...)
}

// benchMutexMap is a map under a mutex, copying values in and out.
type benchMutexMap struct {
	mu sync.Mutex // guards m
	m  map[string][]byte
}

func (m *benchMutexMap) storeLoad(_ context.Context, key string, v []byte) []byte {
	c := append([]byte(nil), v...)
	m.mu.Lock()
	if m.m == nil {
		m.m = make(map[string][]byte)
	}
	m.m[key] = c
	m.mu.Unlock()
	m.mu.Lock()
	out := m.m[key]
	m.mu.Unlock()
	return append([]byte(nil), out...)
}

func benchmarkStoreLoad(b *testing.B, newMap func() benchStoreLoad) {
	v := []byte("a value of some thirty-two bytes")
	b.Run("serial", func(b *testing.B) {
		ctx := b.Context()
		m := newMap()
		i := 0
		for b.Loop() {
			m.storeLoad(ctx, benchKeys[i%len(benchKeys)], v)
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		ctx := b.Context()
		m := newMap()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				m.storeLoad(ctx, benchKeys[i%len(benchKeys)], v)
				i++
			}
		})
	})
}

// BenchmarkDictStoreLoad measures a Store then a Load of one key on a
// Dict, against sync.Map and a map under a sync.Mutex doing the same
// copies.
func BenchmarkDictStoreLoad(b *testing.B) {
	b.Run("Dict", func(b *testing.B) {
		benchmarkStoreLoad(b, func() benchStoreLoad { return new(benchLocalDict) })
	})
	b.Run("sync.Map", func(b *testing.B) {
		benchmarkStoreLoad(b, func() benchStoreLoad { return new(benchSyncMap) })
	})
	b.Run("MutexMap", func(b *testing.B) {
		benchmarkStoreLoad(b, func() benchStoreLoad { return new(benchMutexMap) })
	})
}

// BenchmarkDictStoreDelete measures the insertion-order bookkeeping: a
// Store of a new key then its Delete.
func BenchmarkDictStoreDelete(b *testing.B) {
	ctx := b.Context()
	var d local.Dict
	v := []byte("v")
	i := 0
	for b.Loop() {
		k := benchKeys[i%len(benchKeys)]
		_ = d.Store(ctx, k, v)
		_ = d.Delete(ctx, k)
		i++
	}
}
