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
	put := &cobra.Command{
		Use:   "put NAME VALUE...",
		Short: "Put each VALUE on the queue, in order",
		Long: `Put each VALUE on queue NAME, in the order given. The queue never blocks a
put (it is unbounded). A VALUE that starts with "-" goes after "--":
latchkey queue put jobs -- -x.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := checkName(name); err != nil {
				return err
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				q, err := openQueue(ctx, c, name)
				if err != nil {
					return err
				}
				for _, v := range args[1:] {
					if err := q.Put(ctx, []byte(v)); err != nil {
						return describe(err, "queue put %s", name)
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
			if err := checkName(name); err != nil {
				return err
			}
			if err := checkDuration("--timeout", getTimeout); err != nil {
				return err
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				q, err := openQueue(ctx, c, name)
				if err != nil {
					return err
				}
				tctx, cancel := withTimeout(ctx, getTimeout)
				v, err := q.Get(tctx)
				err = waitResult(tctx, err, getTimeout, "an item")
				cancel()
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
			name := args[0]
			if err := checkName(name); err != nil {
				return err
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				q, err := openQueue(ctx, c, name)
				if err != nil {
					return err
				}
				n, err := q.Len(ctx)
				if err != nil {
					return describe(err, "queue len %s", name)
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
			if err := checkName(name); err != nil {
				return err
			}
			if err := checkDuration("--timeout", joinTimeout); err != nil {
				return err
			}
			return a.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				q, err := openQueue(ctx, c, name)
				if err != nil {
					return err
				}
				tctx, cancel := withTimeout(ctx, joinTimeout)
				defer cancel()
				err = q.Join(tctx)
				return describe(waitResult(tctx, err, joinTimeout, "every item to be done"), "queue join %s", name)
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

// openQueue opens the CLI's kind of queue: unbounded, FIFO, joinable.
func openQueue(ctx context.Context, c *client.Client, name string) (latchkey.Queue, error) {
	q, err := c.Queue(ctx, name, latchkey.QueueOptions{})
	return q, describe(err, "queue %s", name)
}
