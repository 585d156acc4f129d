package kit_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/bench/internal/kit"
)

type settings struct{ n int }

var figures = []kit.Figure[*settings]{
	{Name: "one", Doc: "the first", Run: func(context.Context, *settings) error { return nil }},
	{Name: "two", Doc: "the second", Run: func(context.Context, *settings) error { return nil }},
	{Name: "three", Doc: "the third", Run: func(context.Context, *settings) error { return nil }},
}

// parse runs a command with one flag of its own, --n, that must be
// positive, and returns the chosen figures' names.
func parse(args ...string) (names []string, ok bool, out string, c *kit.Command[*settings], err error) {
	var stdout, stderr bytes.Buffer
	c = kit.NewCommand("test", figures, &stderr)
	var s settings
	c.Flags.IntVar(&s.n, "n", 1, "a setting of the command's own")
	chosen, ok, err := c.Parse(args, &stdout, func() error {
		if s.n <= 0 {
			return errors.New("--n must be positive")
		}
		return nil
	})
	for _, f := range chosen {
		names = append(names, f.Name)
	}
	return names, ok, stdout.String(), c, err
}

func TestParse(t *testing.T) {
	names, ok, _, c, err := parse()
	if err != nil || !ok || !slices.Equal(names, []string{"one", "two", "three"}) {
		t.Errorf("no flags: %q, %v, %v; want every figure", names, ok, err)
	}
	if c.Warm != 300*time.Millisecond || c.Dur != 3*time.Second {
		t.Errorf("defaults: warm-up %v, dur %v; want 300ms, 3s", c.Warm, c.Dur)
	}
	names, ok, _, c, err = parse("--only", "three, one", "--dur", "1s", "--warmup", "0s")
	if err != nil || !ok || !slices.Equal(names, []string{"three", "one"}) {
		t.Errorf("--only three, one: %q, %v, %v; want three, one", names, ok, err)
	}
	if c.Warm != 0 || c.Dur != time.Second {
		t.Errorf("warm-up %v, dur %v; want 0s, 1s", c.Warm, c.Dur)
	}
	names, ok, out, _, err := parse("--list", "--n", "0")
	want := "one                the first\ntwo                the second\nthree              the third\n"
	if err != nil || ok || names != nil || out != want {
		t.Errorf("--list: %q, %v, %v, printed %q; want no figures and %q", names, ok, err, out, want)
	}
	if names, ok, _, _, err := parse("--help"); err != nil || ok || names != nil {
		t.Errorf("--help: %q, %v, %v; want nothing to run and no error", names, ok, err)
	}
}

func TestParseUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--only", "one,nope"},
		{"--n", "0"},
		{"--dur", "soon"},
		{"--nope"},
		{"extra"},
	} {
		names, ok, out, _, err := parse(args...)
		if !errors.Is(err, kit.ErrUsage) || ok || names != nil || out != "" {
			t.Errorf("%q: %q, %v, %v, printed %q; want a usage error only", args, names, ok, err, out)
		}
	}
}
