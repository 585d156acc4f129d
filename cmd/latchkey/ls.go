package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/client"
	"github.com/latchkey/latchkey/server"
)

// objectRecord is one object as `ls --json` and the HTTP /objects
// endpoint show it.
type objectRecord struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Waiters int    `json:"waiters"`
}

// objectRecords returns the records of objs, as the client or the server
// lists them.
func objectRecords[O client.ObjectInfo | server.ObjectInfo](objs []O) []objectRecord {
	recs := make([]objectRecord, len(objs))
	for i, o := range objs {
		recs[i] = objectRecord(o)
	}
	return recs
}

// lsCmd returns `latchkey ls`.
func (a *cli) lsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls [PREFIX]",
		Short: "List the server's objects",
		Long: `List the server's objects whose names start with PREFIX (every object
without one), sorted by name: a table of NAME, TYPE and WAITERS (the calls
blocked on it), or with --json a JSON array of {"name", "type", "waiters"}
objects, the same records as the server's HTTP /objects endpoint.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			prefix := ""
			if len(args) == 1 {
				prefix = args[0]
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				objs, err := c.Objects(ctx, prefix)
				if err != nil {
					return describe(err, "ls")
				}
				recs := objectRecords(objs)
				if asJSON {
					return writeJSON(a.stdout, recs)
				}
				return writeTable(a.stdout, recs)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array instead of a table")
	a.clientFlags(cmd)
	return cmd
}

// writeJSON writes recs as an indented JSON array ([] when empty).
func writeJSON(w io.Writer, recs []objectRecord) error {
	if recs == nil {
		recs = []objectRecord{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(recs)
}

// writeTable writes recs as a table with a header line.
func writeTable(w io.Writer, recs []objectRecord) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tWAITERS")
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%s\t%d\n", r.Name, r.Type, r.Waiters)
	}
	return tw.Flush()
}
