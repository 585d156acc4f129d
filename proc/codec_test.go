package proc

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/latchkey/latchkey"
)

// The fast JSON codecs must be latchkey.JSON exactly: the same bytes out,
// the same values (or an error) back, for any input.

// level has JSON methods of its own, so it gets no fast path.
type level int

func (l level) MarshalJSON() ([]byte, error) { return json.Marshal(int(l) * 10) }

// checkEncode checks that the wire codec of T encodes v as json.Marshal
// does, and decodes it back as json.Unmarshal does.
func checkEncode[T any](t *testing.T, v T) {
	t.Helper()
	c := wireCodecOf[T](latchkey.JSON[T]{})
	want, werr := json.Marshal(v)
	got, gerr := c.append([]byte("prefix"), v)
	if (werr != nil) != (gerr != nil) || werr == nil && string(got) != "prefix"+string(want) || werr != nil && gerr.Error() != werr.Error() {
		t.Errorf("%T %#v: append = %q, %v; json.Marshal = %q, %v", v, v, got, gerr, want, werr)
		return
	}
	if werr == nil {
		checkDecode[T](t, want)
	}
}

// checkDecode checks that the wire codec of T decodes b as json.Unmarshal
// does.
func checkDecode[T any](t *testing.T, b []byte) {
	t.Helper()
	c := wireCodecOf[T](latchkey.JSON[T]{})
	var want T
	werr := json.Unmarshal(b, &want)
	got, gerr := c.decode(b)
	if (werr != nil) != (gerr != nil) || werr == nil && !sameJSONValue(got, want) {
		t.Errorf("%T from %q: decode = %#v, %v; json.Unmarshal = %#v, %v", want, b, got, gerr, want, werr)
	}
}

// sameJSONValue compares decoded values, floats by their bits (so that
// -0 and 0 differ).
func sameJSONValue(a, b any) bool {
	switch x := a.(type) {
	case float64:
		return math.Float64bits(x) == math.Float64bits(b.(float64))
	case float32:
		return math.Float32bits(x) == math.Float32bits(b.(float32))
	}
	return reflect.DeepEqual(a, b)
}

func TestJSONCodecFastTypes(t *testing.T) {
	fast := []bool{
		isFast[bool](), isFast[int](), isFast[int8](), isFast[int16](), isFast[int32](), isFast[int64](),
		isFast[uint](), isFast[uint8](), isFast[uint16](), isFast[uint32](), isFast[uint64](), isFast[uintptr](),
		isFast[float32](), isFast[float64](), isFast[string](), isFast[Pair[int, string]](),
		isFast[Pair[Pair[int, bool], float64]](),
	}
	for i, ok := range fast {
		if !ok {
			t.Errorf("type %d has no fast JSON", i)
		}
	}
	slow := []bool{
		isFast[level](), isFast[*int](), isFast[any](), isFast[[]int](), isFast[struct{ A int }](),
		isFast[Pair[int, []int]](), isFast[struct{ Pair[int, int] }](),
	}
	for i, ok := range slow {
		if ok {
			t.Errorf("slow type %d has a fast JSON", i)
		}
	}
	if _, ok := wireCodecOf[int](not13Codec{}).(plainCodec[int]); !ok {
		t.Error("a codec other than latchkey.JSON got the fast path")
	}
}

func isFast[T any]() bool {
	_, plain := wireCodecOf[T](latchkey.JSON[T]{}).(plainCodec[T])
	return !plain
}

type not13Codec struct{ latchkey.JSON[int] }

func TestJSONCodecEncode(t *testing.T) {
	for _, v := range []bool{false, true} {
		checkEncode(t, v)
	}
	for _, v := range []int64{0, 1, -1, 9, 10, 99, 100, -100, 1 << 53, math.MaxInt64, math.MinInt64} {
		checkEncode(t, v)
		checkEncode(t, int(v))
		checkEncode(t, int8(v))
		checkEncode(t, int16(v))
		checkEncode(t, int32(v))
	}
	for _, v := range []uint64{0, 1, 255, 256, 65535, 1 << 32, math.MaxUint64} {
		checkEncode(t, v)
		checkEncode(t, uint(v))
		checkEncode(t, uint8(v))
		checkEncode(t, uint16(v))
		checkEncode(t, uint32(v))
		checkEncode(t, uintptr(v))
	}
	floats := []float64{
		0, math.Copysign(0, -1), 1, -1, 0.1, 1.5, 1e20, 1e21, 123456789e13, 1e-6, 1e-7, 9.99e-7, -1e-7,
		math.MaxFloat64, math.SmallestNonzeroFloat64, math.MaxFloat32, 1.0 / 3, 1e100, 5e-324,
		math.Inf(1), math.Inf(-1), math.NaN(),
	}
	for _, v := range floats {
		checkEncode(t, v)
		checkEncode(t, float32(v))
	}
	for _, v := range []string{
		"", "a", "hello world", `"quoted"`, `back\slash`, "tab\there", "new\nline", "<html>", "a&b",
		"héllo", "日本語", "\u2028", "x\u2029y", "\x7f", "\xff", "a\xc3", "\U0001F600", "\x00",
	} {
		checkEncode(t, v)
	}
	checkEncode(t, Pair[int, string]{3, "x"})
	checkEncode(t, Pair[int, string]{-3, "<x>"})
	checkEncode(t, Pair[float64, bool]{math.NaN(), true})
	checkEncode(t, Pair[Pair[int, bool], float64]{Pair[int, bool]{1, true}, 2.5})
}

// decodeInputs are JSON texts, valid and not, for every type.
var decodeInputs = []string{
	"", " ", "0", "-0", "00", "01", "1", "-1", "+1", "1.0", "1.5", "1e3", "1E3", "1e", "1e+", "-", ".5", "1.",
	"127", "128", "-128", "-129", "255", "256", "65536", "2147483648", "-2147483649",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
	"18446744073709551615", "18446744073709551616", "99999999999999999999", "1e400", "-1e400", "1e-400",
	" 1", "1 ", "null", "true", "false", "tru", "truex", `"1"`, `""`, `"a"`, `"a\"b"`, `"a\nb"`, `"\u00e9"`,
	"\"\t\"", "\"\xff\"", "\"h\xc3\xa9\"", `"unterminated`, `"a"x`, "[1]", "{}",
	`{"First":1,"Second":"a"}`, `{"first":1,"second":"a"}`, `{"Second":"a","First":1}`,
	`{"First":1,"Second":"a","Third":0}`, `{"First":1, "Second":"a"}`, `{"First":1,"Second":"a"`,
	`{"First":1.5,"Second":"a"}`, `{"First":null,"Second":"a"}`, `{"First":1,"Second":2}`,
	`{"First":{"First":1,"Second":true},"Second":2.5}`,
}

func checkDecodeAll(t *testing.T, b []byte) {
	t.Helper()
	checkDecode[bool](t, b)
	checkDecode[int](t, b)
	checkDecode[int8](t, b)
	checkDecode[int16](t, b)
	checkDecode[int32](t, b)
	checkDecode[int64](t, b)
	checkDecode[uint](t, b)
	checkDecode[uint8](t, b)
	checkDecode[uint16](t, b)
	checkDecode[uint32](t, b)
	checkDecode[uint64](t, b)
	checkDecode[float32](t, b)
	checkDecode[float64](t, b)
	checkDecode[string](t, b)
	checkDecode[Pair[int, string]](t, b)
	checkDecode[Pair[Pair[int, bool], float64]](t, b)
}

func TestJSONCodecDecode(t *testing.T) {
	for _, in := range decodeInputs {
		checkDecodeAll(t, []byte(in))
	}
}

func FuzzJSONCodecDecode(f *testing.F) {
	for _, in := range decodeInputs {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecodeAll(t, b) })
}

func FuzzJSONCodecEncode(f *testing.F) {
	f.Add(int64(0), uint64(0), 0.0, "")
	f.Add(int64(-1), uint64(math.MaxUint64), 1e-7, "<\u2028\xff>")
	f.Fuzz(func(t *testing.T, i int64, u uint64, x float64, s string) {
		checkEncode(t, i)
		checkEncode(t, int8(i))
		checkEncode(t, u)
		checkEncode(t, uint16(u))
		checkEncode(t, x)
		checkEncode(t, float32(x))
		checkEncode(t, s)
		checkEncode(t, Pair[string, float64]{s, x})
	})
}

// TestTaskAndResultFrames builds a task and its result item by item and
// parses them back, with an argument that fails to encode in the middle.
func TestTaskAndResultFrames(t *testing.T) {
	c := wireCodecOf[string](latchkey.JSON[string]{})
	task := newTask(7, "f", 0)
	if _, err := addArgs(task, c, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	failing := plainCodec[string]{failOn{"x"}}
	if i, err := addArgs(task, failing, []string{"c", "x", "d"}); i != 1 || err == nil {
		t.Fatalf("addArgs with a failing argument = %d, %v; want 1 and an error", i, err)
	}
	b, err := task.done()
	if err != nil {
		t.Fatal(err)
	}
	if n := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3]); n != len(b)-4 || b[4] != msgTask {
		t.Fatalf("frame header %v for %d bytes", b[:5], len(b))
	}
	id, name, args, err := parseTask(b[5:])
	if err != nil || id != 7 || name != "f" || args.n != 3 {
		t.Fatalf("parseTask = %d, %q, %d args, %v", id, name, args.n, err)
	}
	var got []string
	for args.n > 0 {
		got = append(got, string(args.next()))
	}
	if want := []string{`"a"`, `"b"`, `"c"`}; !reflect.DeepEqual(got, want) {
		t.Errorf("arguments %q, want %q", got, want)
	}
	for cut := range len(b) - 5 {
		if _, _, _, err := parseTask(b[5 : 5+cut]); err == nil {
			t.Errorf("parseTask of %d of %d bytes succeeded", cut, len(b)-5)
		}
	}

	echo := &entry{run: func(ctx context.Context, arg, dst []byte) ([]byte, error) {
		switch string(arg) {
		case "fail":
			return nil, &latchkey.Error{Kind: latchkey.KindNotFound, Msg: "gone"}
		case "panic":
			panic("boom")
		}
		return append(dst, arg...), nil
	}}
	res := newResult(nil, 7)
	for _, arg := range []string{"42", "fail", "panic", ""} {
		res.call(t.Context(), echo, []byte(arg))
	}
	rb := res.done(99)
	id, us, rs, err := parseResult(rb[5:], 1234)
	if err != nil || id != 7 || us != 99 || rs.n != 4 {
		t.Fatalf("parseResult = %d, %d, %v, %v", id, us, rs, err)
	}
	if data, err := rs.next(); string(data) != "42" || err != nil {
		t.Errorf("item 0 = %q, %v", data, err)
	}
	if _, err := rs.next(); !errors.Is(err, latchkey.ErrNotFound) {
		t.Errorf("item 1 = %v, want one matching ErrNotFound", err)
	}
	if _, err := rs.next(); !errors.Is(err, ErrPanic) || !strings.Contains(err.(*RemoteError).Stack, "panic") || err.(*RemoteError).Pid != 1234 {
		t.Errorf("item 2 = %#v, want a panic with its stack", err)
	}
	if data, err := rs.next(); len(data) != 0 || err != nil {
		t.Errorf("item 3 = %q, %v", data, err)
	}
	for cut := range len(rb) - 5 {
		if _, _, _, err := parseResult(rb[5:5+cut], 1); err == nil {
			t.Errorf("parseResult of %d of %d bytes succeeded", cut, len(rb)-5)
		}
	}
}

type failOn struct{ bad string }

func (f failOn) Encode(s string) ([]byte, error) {
	if s == f.bad {
		return nil, errors.New("cannot encode " + s)
	}
	return json.Marshal(s)
}

func (failOn) Decode(b []byte) (string, error) {
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}
