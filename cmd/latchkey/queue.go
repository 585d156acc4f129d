package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey"
	"github.com/latchkey/latchkey/client"
)

// queueCmd returns `latchkey queue`: put, get, len, join.
func (a *cli) queueCmd() *cobra.Command {
	// queueDo opens queue args[0] and runs f on it.
	queueDo := func(cmd *cobra.Command, args []string, f func(ctx context.Context, q latchkey.Queue) error) error {
		return useObject(a, cmd, "queue", args[0], openQueue, f)
	}

	put := &cobra.Command{
		Use:   "put NAME VALUE...",
		Short: "Put each VALUE on the queue, in order",
		Long: `Put each VALUE on queue NAME, in the order given. The queue never blocks a
put (it is unbounded). A VALUE that starts with "-" goes after "--":
latchkey queue put jobs -- -x.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return queueDo(cmd, args, func(ctx context.Context, q latchkey.Queue) error {
				for _, v := range args[1:] {
					if err := q.Put(ctx, []byte(v)); err != nil {
						return describe(err, "queue put %s", args[0])
					}
				}
				return nil
			})
		},
	}

	var getTimeout time.Duration
	get := &cobra.Command{
		Use:   "get NAME",
		Short: "Take the next item, print it and mark it done",
		Long: `Take the next item of queue NAME, waiting for one if the queue is empty,
print it followed by a newline, and mark it done (task_done), so that
"queue join" counts it. The item is marked done only after it was
written: if get fails or is killed before that, the server puts the item
back at the head of the queue when get's session ends. With --timeout, get
exits with 75 if no item came in time, taking none.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := checkName(name); err != nil { // before --timeout; queueDo's check then passes
				return err
			}
			if err := checkDuration("--timeout", getTimeout); err != nil {
				return err
			}
			return queueDo(cmd, args, func(ctx context.Context, q latchkey.Queue) error {
				var v []byte
				err := waitBounded(ctx, getTimeout, "an item", func(ctx context.Context) (err error) {
					v, err = q.Get(ctx)
					return err
				})
				if err != nil {
					return describe(err, "queue get %s", name)
				}
				if _, err := fmt.Fprintf(a.stdout, "%s\n", v); err != nil {
					return fmt.Errorf("queue get %s: writing the item (it goes back to the queue): %w", name, err)
				}
				return describe(q.TaskDone(ctx), "queue get %s: marking the item done", name)
			})
		},
	}
	timeoutFlag(get, &getTimeout, "an item")

	length := &cobra.Command{
		Use:   "len NAME",
		Short: "Print the number of items in the queue",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return queueDo(cmd, args, func(ctx context.Context, q latchkey.Queue) error {
				n, err := q.Len(ctx)
				if err != nil {
					return describe(err, "queue len %s", args[0])
				}
				_, err = fmt.Fprintln(a.stdout, n)
				return err
			})
		},
	}

	var joinTimeout time.Duration
	join := &cobra.Command{
		Use:   "join NAME",
		Short: "Wait until every item put has been taken and marked done",
		Long: `Wait until every item ever put on queue NAME has been marked done: by
"queue get", which marks its item done once printed, or by a program's
TaskDone. With --timeout, join exits with 75 if that did not happen in
time.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := checkName(name); err != nil { // before --timeout; queueDo's check then passes
				return err
			}
			if err := checkDuration("--timeout", joinTimeout); err != nil {
				return err
			}
			return queueDo(cmd, args, func(ctx context.Context, q latchkey.Queue) error {
				return describe(waitBounded(ctx, joinTimeout, "every item to be done", q.Join), "queue join %s", name)
			})
		},
	}
	timeoutFlag(join, &joinTimeout, "the last item's task_done")

	return a.group("queue", "Use shared queues (unbounded FIFO joinable queues)", `Use the shared queue NAME. The queues of the command line are unbounded
FIFO joinable queues (Python's multiprocessing.JoinableQueue with no
maxsize): a program that opens the same name must open it with the
default options (FIFO, no MaxSize), or it gets a mismatch error, and so
does the command line on a queue a program created otherwise. Items are
byte strings; the command line puts and prints them as given.`,
		put, get, length, join)
}

// openQueue opens the CLI's kind of queue: unbounded, FIFO, joinable. It
// has the shape of the methods of client.Client that useObject takes.
func openQueue(c *client.Client, ctx context.Context, name string) (latchkey.Queue, error) {
	return c.Queue(ctx, name, latchkey.QueueOptions{})
}
