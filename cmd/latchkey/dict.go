package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
)

// dictCmd returns `latchkey dict`: set, get, del, keys.
func (a *cli) dictCmd() *cobra.Command {
	// dictDo opens dict args[0] and runs f on it.
	dictDo := func(cmd *cobra.Command, args []string, f func(ctx context.Context, d latchkey.Dict) error) error {
		return useObject(a, cmd, "dict", args[0], (*client.Client).Dict, f)
	}

	set := &cobra.Command{
		Use:   "set NAME KEY VALUE",
		Short: "Set KEY to VALUE",
		Long: `Set KEY of dict NAME to VALUE. A KEY or VALUE that starts with "-" goes
after "--": latchkey dict set cfg -- key -1.`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			return dictDo(cmd, args, func(ctx context.Context, d latchkey.Dict) error {
				return describe(d.Store(ctx, args[1], []byte(args[2])), "dict set %s %s", args[0], args[1])
			})
		},
	}
	get := &cobra.Command{
		Use:   "get NAME KEY",
		Short: "Print the value of KEY (exit 1 if there is none)",
		Long: `Print the value of KEY in dict NAME, as stored, followed by a newline. A
missing KEY is a failure: exit 1 with a message, and nothing on stdout.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return dictDo(cmd, args, func(ctx context.Context, d latchkey.Dict) error {
				v, ok, err := d.Load(ctx, args[1])
				if err != nil {
					return describe(err, "dict get %s %s", args[0], args[1])
				}
				if !ok {
					return fmt.Errorf("dict get %s: no key %q", args[0], args[1])
				}
				_, err = fmt.Fprintf(a.stdout, "%s\n", v)
				return err
			})
		},
	}
	del := &cobra.Command{
		Use:   "del NAME KEY",
		Short: "Delete KEY (deleting a missing key is not an error)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return dictDo(cmd, args, func(ctx context.Context, d latchkey.Dict) error {
				return describe(d.Delete(ctx, args[1]), "dict del %s %s", args[0], args[1])
			})
		},
	}
	keys := &cobra.Command{
		Use:   "keys NAME",
		Short: "Print the keys, one a line, sorted",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return dictDo(cmd, args, func(ctx context.Context, d latchkey.Dict) error {
				ks, err := d.Keys(ctx)
				if err != nil {
					return describe(err, "dict keys %s", args[0])
				}
				slices.Sort(ks)
				for _, k := range ks {
					if _, err := fmt.Fprintln(a.stdout, k); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
	return a.group("dict", "Use shared dicts of strings", `Use the shared dict NAME: keys are strings, values byte strings (Python's
Manager().dict()). The command line stores its arguments as given and
prints values as stored.`,
		set, get, del, keys)
}
