package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/config"
	"github.com/boxoffice/boxoffice/jobs"
	"github.com/boxoffice/boxoffice/payments/testpay"
)

// openJobs returns the job queue on the database db (jobs.Open).
func openJobs(db engine, _ config.Config, log *slog.Logger) (*jobs.Queue, error) {
	return jobs.Open(db, jobs.Config{Logger: log})
}

// paymentProvider is PAYMENT_PROVIDER's provider; nil for none.
func paymentProvider(cfg config.Config) boxoffice.PaymentProvider {
	if cfg.PaymentProvider == config.PaymentsTest {
		return testpay.New()
	}
	return nil
}

const jobsUsage = `Usage: boxoffice jobs [--limit N]     lists the jobs that failed: retryable (another attempt is due), discarded (out of attempts) and cancelled (an email refused for good)
       boxoffice jobs retry ID      runs a failed job again, at once, with fresh attempts
`

// runJobs is `boxoffice jobs`: the background jobs that failed, and a way
// to run one again.
func runJobs(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("jobs", jobsUsage, stdout)
	limit := fs.Int("limit", 50, "list at most this many jobs")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	var retry int64
	switch {
	case len(rest) == 0:
	case len(rest) == 2 && rest[0] == "retry":
		if retry, err = strconv.ParseInt(rest[1], 10, 64); err != nil || retry < 1 {
			return fs.fail("retry: %q is not a job id", rest[1])
		}
	default:
		return fs.fail("unexpected %q", strings.Join(rest, " "))
	}
	if *limit < 1 {
		return fs.fail("--limit %d: want at least 1", *limit)
	}
	return withEngine(ctx, mustExist, stdout, func(cfg config.Config, _ *slog.Logger, db engine) error {
		q, err := openJobs(db, cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			return err
		}
		if retry == 0 {
			return listFailedJobs(ctx, q, *limit, stdout)
		}
		j, err := q.Retry(ctx, retry)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "job %d (%s) will run again at once: it is %s\n", j.ID, j.Kind, j.State)
		return nil
	})
}

func listFailedJobs(ctx context.Context, q *jobs.Queue, limit int, stdout io.Writer) error {
	failed, err := q.Failed(ctx, limit)
	if err != nil {
		return err
	}
	if len(failed) == 0 {
		fmt.Fprintln(stdout, "no failed jobs")
		return nil
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tKIND\tSTATE\tATTEMPTS\tNEXT\tLAST ERROR\tARGS")
	for _, j := range failed {
		next, last := "-", "-"
		if j.State == "retryable" {
			next = j.NextAt.UTC().Format(time.RFC3339)
		}
		if len(j.Errors) > 0 {
			last = strings.ReplaceAll(j.Errors[len(j.Errors)-1], "\n", " ")
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", j.ID, j.Kind, j.State, j.Attempt, j.MaxAttempts, next, last, j.Args)
	}
	return w.Flush()
}
