package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
)

// valueCmd returns `latchkey value`: get, set, add.
func (a *cli) valueCmd() *cobra.Command {
	// valueDo opens value args[0] and runs f on it.
	valueDo := func(cmd *cobra.Command, args []string, f func(ctx context.Context, v latchkey.Value[int64]) error) error {
		return useObject(a, cmd, "value", args[0], (*client.Client).Value, f)
	}

	get := &cobra.Command{
		Use:   "get NAME",
		Short: "Print the value",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return valueDo(cmd, args, func(ctx context.Context, v latchkey.Value[int64]) error {
				n, err := v.Load(ctx)
				if err != nil {
					return describe(err, "value get %s", args[0])
				}
				_, err = fmt.Fprintln(a.stdout, n)
				return err
			})
		},
	}
	set := &cobra.Command{
		Use:   "set NAME N",
		Short: "Set the value to N",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := parseInt(args[1], "value")
			if err != nil {
				return err
			}
			return valueDo(cmd, args, func(ctx context.Context, v latchkey.Value[int64]) error {
				return describe(v.Store(ctx, n), "value set %s", args[0])
			})
		},
	}
	add := &cobra.Command{
		Use:   "add NAME DELTA",
		Short: "Add DELTA atomically and print the new value",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := parseInt(args[1], "delta")
			if err != nil {
				return err
			}
			return valueDo(cmd, args, func(ctx context.Context, v latchkey.Value[int64]) error {
				n, err := v.Add(ctx, d)
				if err != nil {
					return describe(err, "value add %s", args[0])
				}
				_, err = fmt.Fprintln(a.stdout, n)
				return err
			})
		},
	}
	// Flags go before NAME, so that a negative number needs no "--":
	// latchkey value add hits -1.
	set.Flags().SetInterspersed(false)
	add.Flags().SetInterspersed(false)
	return a.group("value", "Use shared integers", `Use the shared integer NAME: a signed 64-bit number, initially 0 (Python's
multiprocessing Value('q')), with an atomic add, so that concurrent
"value add" never lose an update. Flags go before NAME, so that a negative
N or DELTA is written as is: latchkey value add --addr A hits -1.`,
		get, set, add)
}
