package kit

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// ErrUsage marks command-line errors: a command that fails with it
// exits with status 2 ([Exit]).
var ErrUsage = errors.New("usage")

// Figure is one named measurement of a command (one or more records),
// run on the command's settings B.
type Figure[B any] struct {
	Name string                               // what --only and --list call it
	Doc  string                               // one line, for --list
	Run  func(ctx context.Context, b B) error // measures and emits
}

// Command is the command line every benchmark command has: a flag set
// holding --dur, --warmup, --only and --list, to which the command adds
// its own flags before [Command.Parse], and its table of figures.
type Command[B any] struct {
	// Flags is the command's flag set (flag.ContinueOnError, output to
	// the stderr given to NewCommand).
	Flags *flag.FlagSet
	// Warm and Dur are each figure's warm-up (--warmup, default 300ms)
	// and measured time (--dur, default 3s), set by Parse.
	Warm, Dur time.Duration
	figures   []Figure[B]
	only      string
	list      bool
}

// NewCommand returns the command line of the command called name whose
// figures, in the order they run, are figures.
func NewCommand[B any](name string, figures []Figure[B], stderr io.Writer) *Command[B] {
	c := &Command[B]{Flags: flag.NewFlagSet(name, flag.ContinueOnError), figures: figures}
	fs := c.Flags
	fs.SetOutput(stderr)
	fs.DurationVar(&c.Dur, "dur", 3*time.Second, "measured time per figure")
	fs.DurationVar(&c.Warm, "warmup", 300*time.Millisecond, "warm-up per figure")
	fs.StringVar(&c.only, "only", "", "comma-separated figures to run (default: all; see --list)")
	fs.BoolVar(&c.list, "list", false, "list the figures and exit")
	return c
}

// Parse parses args and returns the figures to run: those --only names,
// in its order, or else all of them. It returns ok false, and no error,
// when there is nothing to run: --help printed the flags or --list
// printed the figures to stdout. check, if not nil, validates the
// settings after parsing (and after --list); its error, like every
// error in args, is returned wrapped in [ErrUsage].
func (c *Command[B]) Parse(args []string, stdout io.Writer, check func() error) (chosen []Figure[B], ok bool, err error) {
	fs := c.Flags
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return nil, false, fmt.Errorf("%w: unexpected arguments %q", ErrUsage, fs.Args())
	}
	if c.list {
		for _, f := range c.figures {
			fmt.Fprintf(stdout, "%-18s %s\n", f.Name, f.Doc)
		}
		return nil, false, nil
	}
	if check != nil {
		if err := check(); err != nil {
			return nil, false, fmt.Errorf("%w: %v", ErrUsage, err)
		}
	}
	if c.only == "" {
		return c.figures, true, nil
	}
	for name := range strings.SplitSeq(c.only, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(c.figures, func(f Figure[B]) bool { return f.Name == name })
		if i < 0 {
			return nil, false, fmt.Errorf("%w: unknown figure %q (see --list)", ErrUsage, name)
		}
		chosen = append(chosen, c.figures[i])
	}
	return chosen, true, nil
}

// Exit ends the command called name if err is not nil: it prints err to
// stderr after the name and exits with status 2 for a usage error
// ([ErrUsage]), 1 for any other. It returns if err is nil.
func Exit(name string, err error) {
	if err == nil {
		return
	}
	fmt.Fprintln(os.Stderr, name+":", err)
	if errors.Is(err, ErrUsage) {
		os.Exit(2)
	}
	os.Exit(1)
}
