package proc

import (
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/latchkey/latchkey"
)

// wireCodec encodes and decodes the arguments and results of a registered
// function on the control connection: a [latchkey.Codec] that appends, so
// that the arguments (or results) of a chunk are encoded one after another
// into its frame, without a slice of their own each.
type wireCodec[T any] interface {
	append(dst []byte, v T) ([]byte, error)
	decode(b []byte) (T, error)
}

// wireCodecOf returns the wire form of c. For [latchkey.JSON] of a basic
// type (a bool, an integer, a float, a string) or a [Pair] of them, it is a
// hand-written encoder that produces exactly the bytes encoding/json does
// and decodes them to the same values, without reflection; anything it
// does not recognize (whitespace, null, an escape, an error to report) goes
// to encoding/json. Other codecs are used as they are.
func wireCodecOf[T any](c latchkey.Codec[T]) wireCodec[T] {
	if _, ok := c.(latchkey.JSON[T]); ok {
		if f := jsonFastOf[T](); f != nil {
			return f
		}
	}
	return plainCodec[T]{c}
}

// plainCodec is a [latchkey.Codec] as a wireCodec.
type plainCodec[T any] struct{ c latchkey.Codec[T] }

func (p plainCodec[T]) append(dst []byte, v T) ([]byte, error) {
	b, err := p.c.Encode(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

func (p plainCodec[T]) decode(b []byte) (T, error) { return p.c.Decode(b) }

// jsonFast is the hand-written JSON of one type, which is its wireCodec:
// append writes what encoding/json writes, and leaves a value it does not
// handle to it (jsonMarshal); parseJSON parses a value at the start of b,
// and returns false for anything but the form append writes.
type jsonFast[T any] interface {
	wireCodec[T]
	parseJSON(b []byte) (v T, n int, ok bool)
}

// jsonMarshal appends v as encoding/json writes it: the fast codecs' way
// out for a value they leave to it.
func jsonMarshal[T any](dst []byte, v T) ([]byte, error) {
	return plainCodec[T]{latchkey.JSON[T]{}}.append(dst, v)
}

// jsonDecode is the wireCodec's decode of f.
func jsonDecode[T any, F jsonFast[T]](f F, b []byte) (T, error) {
	if v, n, ok := f.parseJSON(b); ok && n == len(b) {
		return v, nil
	}
	return latchkey.JSON[T]{}.Decode(b)
}

// jsonFastOf returns the fast JSON of T, or nil. Only the basic types
// themselves qualify, not types defined from them, which may have JSON
// methods of their own.
func jsonFastOf[T any]() jsonFast[T] {
	var z T
	var f any
	switch any(z).(type) {
	case bool:
		f = jsonBool{}
	case int:
		f = jsonInt[int]{}
	case int8:
		f = jsonInt[int8]{}
	case int16:
		f = jsonInt[int16]{}
	case int32:
		f = jsonInt[int32]{}
	case int64:
		f = jsonInt[int64]{}
	case uint:
		f = jsonInt[uint]{}
	case uint8:
		f = jsonInt[uint8]{}
	case uint16:
		f = jsonInt[uint16]{}
	case uint32:
		f = jsonInt[uint32]{}
	case uint64:
		f = jsonInt[uint64]{}
	case uintptr:
		f = jsonInt[uintptr]{}
	case float32:
		f = jsonFloat[float32]{}
	case float64:
		f = jsonFloat[float64]{}
	case string:
		f = jsonString{}
	case interface{ jsonFast() any }: // a Pair
		f = any(z).(interface{ jsonFast() any }).jsonFast()
	}
	jf, _ := f.(jsonFast[T])
	return jf
}

type jsonBool struct{}

func (jsonBool) append(dst []byte, v bool) ([]byte, error) { return strconv.AppendBool(dst, v), nil }
func (j jsonBool) decode(b []byte) (bool, error)           { return jsonDecode(j, b) }

func (jsonBool) parseJSON(b []byte) (bool, int, bool) {
	switch {
	case len(b) >= 4 && string(b[:4]) == "true":
		return true, 4, true
	case len(b) >= 5 && string(b[:5]) == "false":
		return false, 5, true
	}
	return false, 0, false
}

// jsonInt is the JSON of the integer types, signed and unsigned.
type jsonInt[I int | int8 | int16 | int32 | int64 | uint | uint8 | uint16 | uint32 | uint64 | uintptr] struct{}

func (jsonInt[I]) append(dst []byte, v I) ([]byte, error) {
	if ^I(0) < 0 { // signed
		return strconv.AppendInt(dst, int64(v), 10), nil
	}
	return strconv.AppendUint(dst, uint64(v), 10), nil
}

func (j jsonInt[I]) decode(b []byte) (I, error) { return jsonDecode(j, b) }

func (jsonInt[I]) parseJSON(b []byte) (I, int, bool) {
	u, neg, n := scanInt(b)
	var z I
	signed, bits := ^z < 0, 8*unsafe.Sizeof(z)
	switch {
	case n == 0:
	case !signed && !neg && u <= uint64(^z):
		return I(u), n, true
	case signed && !neg && u < 1<<(bits-1):
		return I(u), n, true
	case signed && neg && u <= 1<<(bits-1):
		return I(-int64(u)), n, true
	}
	return 0, 0, false
}

// scanInt parses the JSON integer at the start of b: its magnitude, sign
// and length. The length is 0 if there is none, if it is part of a number
// with a fraction or an exponent, or if it has more than 19 digits, which
// might not fit.
func scanInt(b []byte) (u uint64, neg bool, n int) {
	i := 0
	if len(b) > 0 && b[0] == '-' {
		neg, i = true, 1
	}
	start := i
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			break
		}
		u = u*10 + uint64(d)
	}
	switch digits := i - start; {
	case digits == 0 || digits > 19 || digits > 1 && b[start] == '0':
		return 0, false, 0
	case i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E'):
		return 0, false, 0
	}
	return u, neg, i
}

type jsonFloat[F float32 | float64] struct{}

func (j jsonFloat[F]) decode(b []byte) (F, error) { return jsonDecode(j, b) }

// append is encoding/json's float encoder.
func (jsonFloat[F]) append(dst []byte, v F) ([]byte, error) {
	f := float64(v)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return jsonMarshal(dst, v) // encoding/json's error
	}
	var z F
	bits := 8 * int(unsafe.Sizeof(z))
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// e-09 to e-9, as encoding/json does.
		n := len(dst)
		if n-start >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

func (jsonFloat[F]) parseJSON(b []byte) (F, int, bool) {
	n := scanNumber(b)
	if n == 0 {
		return 0, 0, false
	}
	var z F
	v, err := strconv.ParseFloat(string(b[:n]), 8*int(unsafe.Sizeof(z)))
	if err != nil {
		return 0, 0, false
	}
	return F(v), n, true
}

// scanNumber returns the length of the JSON number at the start of b, 0
// if there is none.
func scanNumber(b []byte) int {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return 0
	}
	if i < len(b) && b[i] == '.' {
		i++
		j := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == j {
			return 0
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == j {
			return 0
		}
	}
	return i
}

type jsonString struct{}

func (j jsonString) decode(b []byte) (string, error) { return jsonDecode(j, b) }

// append writes the strings that encoding/json writes unescaped itself:
// valid UTF-8 without control characters, quotes, backslashes, the HTML
// characters <, > and &, or U+2028 and U+2029.
func (jsonString) append(dst []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return jsonMarshal(dst, s)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return jsonMarshal(dst, s)
		}
		i += size
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"'), nil
}

// parseJSON handles a string without escapes, of valid UTF-8 without
// control characters, which encoding/json decodes to itself.
func (jsonString) parseJSON(b []byte) (string, int, bool) {
	if len(b) == 0 || b[0] != '"' {
		return "", 0, false
	}
	for i := 1; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				return string(b[1:i]), i + 1, true
			case c < 0x20 || c == '\\':
				return "", 0, false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return "", 0, false
		}
		i += size
	}
	return "", 0, false
}

// jsonFast gives Register2's argument a fast JSON when both its types have
// one.
func (Pair[A, B]) jsonFast() any {
	a, b := jsonFastOf[A](), jsonFastOf[B]()
	if a == nil || b == nil {
		return nil
	}
	return jsonPair[A, B]{a, b}
}

// jsonPair is the JSON of a Pair: {"First":a,"Second":b}.
type jsonPair[A, B any] struct {
	a jsonFast[A]
	b jsonFast[B]
}

func (j jsonPair[A, B]) decode(b []byte) (Pair[A, B], error) { return jsonDecode(j, b) }

const (
	pairFirst  = `{"First":`
	pairSecond = `,"Second":`
)

// append writes each part as its own fast JSON does, which is how
// encoding/json writes it in the struct: an error of either is the pair's.
func (j jsonPair[A, B]) append(dst []byte, v Pair[A, B]) ([]byte, error) {
	start := len(dst)
	dst, err := j.a.append(append(dst, pairFirst...), v.First)
	if err == nil {
		dst, err = j.b.append(append(dst, pairSecond...), v.Second)
	}
	if err != nil {
		return dst[:start], err
	}
	return append(dst, '}'), nil
}

func (j jsonPair[A, B]) parseJSON(b []byte) (v Pair[A, B], n int, ok bool) {
	if len(b) < len(pairFirst) || string(b[:len(pairFirst)]) != pairFirst {
		return v, 0, false
	}
	i := len(pairFirst)
	a, m, ok := j.a.parseJSON(b[i:])
	if !ok {
		return v, 0, false
	}
	i += m
	if len(b)-i < len(pairSecond) || string(b[i:i+len(pairSecond)]) != pairSecond {
		return v, 0, false
	}
	i += len(pairSecond)
	c, m, ok := j.b.parseJSON(b[i:])
	if !ok {
		return v, 0, false
	}
	i += m
	if i == len(b) || b[i] != '}' {
		return v, 0, false
	}
	return Pair[A, B]{a, c}, i + 1, true
}
