package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
)

// barrierCmd returns `latchkey barrier`: wait, reset, abort.
func (a *cli) barrierCmd() *cobra.Command {
	var parties int
	var timeout time.Duration
	wait := &cobra.Command{
		Use:   "wait NAME --parties N",
		Short: "Wait until N parties wait on the barrier; print this party's index",
		Long: `Wait on barrier NAME until N parties (processes or goroutines) wait on it,
then print this party's arrival index in the cycle (0 for the first,
N-1 for the last) and exit 0. Every party must give the same N.

A wait that ends early (--timeout, exit 75; or an interrupt) breaks the
barrier, as Python's timeout does: every other waiter fails too, and so
does every later wait (exit 1, "broken") until it is reset
(latchkey barrier reset).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := checkBarrier(name, parties); err != nil {
				return err
			}
			if err := checkDuration("--timeout", timeout); err != nil {
				return err
			}
			return a.withBarrier(cmd, name, parties, func(ctx context.Context, b latchkey.Barrier) error {
				var i int
				err := waitBounded(ctx, timeout, fmt.Sprintf("%d parties (the barrier is now broken)", parties), func(ctx context.Context) (err error) {
					i, err = b.Wait(ctx)
					return err
				})
				if err != nil {
					if errors.Is(err, latchkey.ErrBrokenBarrier) {
						return fmt.Errorf("barrier wait %s: the barrier is broken (a party gave up or it was aborted)", name)
					}
					return describe(err, "barrier wait %s", name)
				}
				_, err = fmt.Fprintln(a.stdout, i)
				return err
			})
		},
	}
	wait.Flags().IntVar(&parties, "parties", 0, "the number of parties the barrier waits for (required)")
	wait.MarkFlagRequired("parties")
	timeoutFlag(wait, &timeout, "the last party")
	return a.group("barrier", "Use shared barriers", `Use the shared barrier NAME: a cyclic barrier for a fixed number of
parties (Python's threading.Barrier).`,
		wait,
		a.barrierOp("reset", "Return the barrier to its initial state (Python's reset)",
			`Reset barrier NAME: it is no longer broken, and parties that are
waiting on it now fail with "broken" (exit 1), as in Python.`,
			latchkey.Barrier.Reset),
		a.barrierOp("abort", "Break the barrier (Python's abort)",
			`Break barrier NAME: parties waiting on it and every later wait fail
with "broken" (exit 1) until it is reset.`,
			latchkey.Barrier.Abort))
}

// barrierOp returns `latchkey barrier VERB NAME --parties N`, which
// opens the barrier and calls op on it.
func (a *cli) barrierOp(verb, short, long string, op func(latchkey.Barrier, context.Context) error) *cobra.Command {
	var parties int
	cmd := &cobra.Command{
		Use:   verb + " NAME --parties N",
		Short: short,
		Long:  long + "\nN must be the barrier's number of parties.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := checkBarrier(name, parties); err != nil {
				return err
			}
			return a.withBarrier(cmd, name, parties, func(ctx context.Context, b latchkey.Barrier) error {
				return describe(op(b, ctx), "barrier %s %s", verb, name)
			})
		},
	}
	cmd.Flags().IntVar(&parties, "parties", 0, "the number of parties the barrier waits for (required)")
	cmd.MarkFlagRequired("parties")
	return cmd
}

// withBarrier opens barrier name of parties, which checkBarrier
// accepted, and runs f on it, as withClient does.
func (a *cli) withBarrier(cmd *cobra.Command, name string, parties int, f func(ctx context.Context, b latchkey.Barrier) error) error {
	return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
		b, err := c.Barrier(ctx, name, parties, nil)
		if err != nil {
			return describe(err, "barrier %s of %d parties", name, parties)
		}
		return f(ctx, b)
	})
}

// checkBarrier checks a barrier command's NAME and --parties.
func checkBarrier(name string, parties int) error {
	if err := checkName(name); err != nil {
		return err
	}
	if parties < 1 {
		return usagef("--parties %d: want 1 or more", parties)
	}
	return nil
}
