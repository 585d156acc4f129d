package shm

import (
	"math"
	"reflect"
	"sync/atomic"
	"unsafe"
)

// Number is the set of element types of a [Value] or an [Array]: the
// fixed-size numbers that hardware updates atomically (Python's typecodes
// 'i', 'q', 'I', 'Q', 'f' and 'd'). It contains [latchkey.Number].
type Number interface {
	~int32 | ~int64 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// elemKind is a Number's representation, recorded in the object file so
// that a Value[int64] and a Value[float64] of one name do not mix.
type elemKind uint64

const (
	elemInt32 elemKind = 1 + iota
	elemInt64
	elemUint32
	elemUint64
	elemFloat32
	elemFloat64
)

var elemNames = [...]string{"", "int32", "int64", "uint32", "uint64", "float32", "float64"}

func (k elemKind) String() string {
	if int(k) < len(elemNames) {
		return elemNames[k]
	}
	return "unknown"
}

func (k elemKind) size() uintptr {
	if k == elemInt64 || k == elemUint64 || k == elemFloat64 {
		return 8
	}
	return 4
}

// kindOf returns T's representation.
func kindOf[T Number]() elemKind {
	switch reflect.TypeFor[T]().Kind() {
	case reflect.Int32:
		return elemInt32
	case reflect.Int64:
		return elemInt64
	case reflect.Uint32:
		return elemUint32
	case reflect.Uint64:
		return elemUint64
	case reflect.Float32:
		return elemFloat32
	default:
		return elemFloat64
	}
}

// bitsOf returns x's representation as k.
func bitsOf[T Number](k elemKind, x T) uint64 {
	switch k {
	case elemFloat32:
		return uint64(math.Float32bits(float32(x)))
	case elemFloat64:
		return math.Float64bits(float64(x))
	case elemInt32, elemUint32:
		return uint64(uint32(x))
	}
	return uint64(x)
}

// fromBits is the inverse of bitsOf.
func fromBits[T Number](k elemKind, b uint64) T {
	switch k {
	case elemInt32:
		return T(int32(uint32(b)))
	case elemUint32:
		return T(uint32(b))
	case elemFloat32:
		return T(math.Float32frombits(uint32(b)))
	case elemInt64:
		return T(int64(b))
	case elemFloat64:
		return T(math.Float64frombits(b))
	}
	return T(b)
}

// elem is one number in a mapping, of kind k.
type elem struct {
	p unsafe.Pointer
	k elemKind
}

func (e elem) w32() *atomic.Uint32 { return (*atomic.Uint32)(e.p) }
func (e elem) w64() *atomic.Uint64 { return (*atomic.Uint64)(e.p) }

func (e elem) load() uint64 {
	if e.k.size() == 4 {
		return uint64(e.w32().Load())
	}
	return e.w64().Load()
}

func (e elem) store(b uint64) {
	if e.k.size() == 4 {
		e.w32().Store(uint32(b))
		return
	}
	e.w64().Store(b)
}

func (e elem) swap(b uint64) uint64 {
	if e.k.size() == 4 {
		return uint64(e.w32().Swap(uint32(b)))
	}
	return e.w64().Swap(b)
}

func (e elem) cas(old, new uint64) bool {
	if e.k.size() == 4 {
		return e.w32().CompareAndSwap(uint32(old), uint32(new))
	}
	return e.w64().CompareAndSwap(old, new)
}

// Typed operations on an elem, for the Value and Array methods.

func loadNum[T Number](e elem) T { return fromBits[T](e.k, e.load()) }

func storeNum[T Number](e elem, x T) { e.store(bitsOf(e.k, x)) }

func swapNum[T Number](e elem, x T) T { return fromBits[T](e.k, e.swap(bitsOf(e.k, x))) }

func casNum[T Number](e elem, old, new T) bool {
	return e.cas(bitsOf(e.k, old), bitsOf(e.k, new))
}

// addNum adds delta atomically and returns the sum. Integers wrap around;
// floats use a compare-and-swap loop.
func addNum[T Number](e elem, delta T) T {
	switch e.k {
	case elemInt32, elemUint32:
		return fromBits[T](e.k, uint64(e.w32().Add(uint32(bitsOf(e.k, delta)))))
	case elemInt64, elemUint64:
		return fromBits[T](e.k, e.w64().Add(bitsOf(e.k, delta)))
	}
	for {
		old := e.load()
		sum := fromBits[T](e.k, old) + delta
		if e.cas(old, bitsOf(e.k, sum)) {
			return sum
		}
	}
}
