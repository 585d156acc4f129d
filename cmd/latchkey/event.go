package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
)

// eventCmd returns `latchkey event`: set, clear, wait, is-set.
func (a *cli) eventCmd() *cobra.Command {
	// eventDo opens event args[0] and runs f on it.
	eventDo := func(cmd *cobra.Command, args []string, f func(ctx context.Context, e latchkey.Event) error) error {
		return useObject(a, cmd, "event", args[0], (*client.Client).Event, f)
	}

	set := &cobra.Command{
		Use:   "set NAME",
		Short: "Set the flag and wake every waiter",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eventDo(cmd, args, func(ctx context.Context, e latchkey.Event) error {
				return describe(e.Set(ctx), "event set %s", args[0])
			})
		},
	}
	clear := &cobra.Command{
		Use:   "clear NAME",
		Short: "Clear the flag",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eventDo(cmd, args, func(ctx context.Context, e latchkey.Event) error {
				return describe(e.Clear(ctx), "event clear %s", args[0])
			})
		},
	}
	var timeout time.Duration
	wait := &cobra.Command{
		Use:   "wait NAME",
		Short: "Wait until the flag is set",
		Long: `Wait until the flag of event NAME is set; return at once if it is. With
--timeout, exit 75 if it was not set in time.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkDuration("--timeout", timeout); err != nil {
				return err
			}
			return eventDo(cmd, args, func(ctx context.Context, e latchkey.Event) error {
				return describe(waitBounded(ctx, timeout, "the event to be set", e.Wait), "event wait %s", args[0])
			})
		},
	}
	timeoutFlag(wait, &timeout, "the event")
	isSet := &cobra.Command{
		Use:   "is-set NAME",
		Short: "Print true or false (and exit 0 either way)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return eventDo(cmd, args, func(ctx context.Context, e latchkey.Event) error {
				ok, err := e.IsSet(ctx)
				if err != nil {
					return describe(err, "event is-set %s", args[0])
				}
				_, err = fmt.Fprintln(a.stdout, ok)
				return err
			})
		},
	}
	return a.group("event", "Use shared events (flags to wait on)", `Use the shared event NAME: a flag, initially clear, that processes set,
clear and wait for (Python's threading.Event).`,
		set, clear, wait, isSet)
}
