package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github"
)

// RunnerAPI is what the runner commands need from the GitHub client.
type RunnerAPI interface {
	ListRunners(ctx context.Context, name string) ([]github.Runner, error)
	DeleteRunner(ctx context.Context, id int64) error
}

// RunnerFilter selects runners. Empty fields match everything.
type RunnerFilter struct {
	// Status is "online" or "offline".
	Status string
	// Labels must all be carried by the runner (case-insensitive, as GitHub compares labels).
	Labels []string
	// NamePrefix must begin the runner's name.
	NamePrefix string
}

// Validate refuses values that can match nothing by mistake.
func (f RunnerFilter) Validate() error {
	switch f.Status {
	case "", "online", "offline":
		return nil
	}
	return failure.Wrap(failure.Usage, fmt.Errorf("--status %q: use online or offline", f.Status))
}

// Match reports whether r is selected.
func (f RunnerFilter) Match(r github.Runner) bool {
	if f.Status != "" && !strings.EqualFold(r.Status, f.Status) {
		return false
	}
	if !strings.HasPrefix(r.Name, f.NamePrefix) {
		return false
	}
	for _, want := range f.Labels {
		if !slices.ContainsFunc(r.Labels, func(l github.Label) bool { return strings.EqualFold(l.Name, want) }) {
			return false
		}
	}
	return true
}

// Select returns the runners f matches, in the order given.
func (f RunnerFilter) Select(rs []github.Runner) []github.Runner {
	var out []github.Runner
	for _, r := range rs {
		if f.Match(r) {
			out = append(out, r)
		}
	}
	return out
}

// PruneOptions configure Prune.
type PruneOptions struct {
	Labels     []string
	NamePrefix string
	// All allows pruning every offline runner when no filter is given.
	All    bool
	DryRun bool
	// Parallel bounds the deletions in flight (1–16; 0 means 4).
	Parallel int
}

// PruneFailure is a runner that could not be deleted.
type PruneFailure struct {
	Runner github.Runner `json:"runner"`
	Error  string        `json:"error"`
}

// PruneResult says what Prune did (or, with DryRun, would do).
type PruneResult struct {
	DryRun  bool            `json:"dry_run"`
	Deleted []github.Runner `json:"deleted"`
	// Skipped are runners that took a job between the listing and the deletion.
	Skipped []github.Runner `json:"skipped"`
	Failed  []PruneFailure  `json:"failed"`
}

// ErrPruneIncomplete is returned when some deletions failed.
var ErrPruneIncomplete = errors.New("some runners could not be deleted")

// Prune deletes offline runners that match the filter: registrations left
// behind by hosts that died. It never deletes an online or busy runner.
func Prune(ctx context.Context, api RunnerAPI, o PruneOptions, log *slog.Logger) (PruneResult, error) {
	res := PruneResult{DryRun: o.DryRun, Deleted: []github.Runner{}, Skipped: []github.Runner{}, Failed: []PruneFailure{}}
	if len(o.Labels) == 0 && o.NamePrefix == "" && !o.All {
		return res, failure.Wrap(failure.Usage, errors.New(
			"prune: no runners chosen: give --label and/or --name-prefix, or --all to delete every offline runner"))
	}
	if o.Parallel == 0 {
		o.Parallel = 4
	}
	if o.Parallel < 1 || o.Parallel > 16 {
		return res, failure.Wrap(failure.Usage, fmt.Errorf("prune: --parallel %d: use 1 to 16", o.Parallel))
	}
	all, err := api.ListRunners(ctx, "")
	if err != nil {
		return res, fmt.Errorf("prune: %w", err)
	}
	var todo []github.Runner
	for _, r := range (RunnerFilter{Status: "offline", Labels: o.Labels, NamePrefix: o.NamePrefix}).Select(all) {
		if !r.Busy {
			todo = append(todo, r)
		}
	}
	log.Info("prune: offline runners selected", "selected", len(todo), "listed", len(all), "dry_run", o.DryRun)
	if o.DryRun {
		res.Deleted = todo
		return res, nil
	}

	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, o.Parallel)
	for _, r := range todo {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return res, fmt.Errorf("prune: %w", ctx.Err())
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := api.DeleteRunner(ctx, r.ID)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				log.Debug("prune: deleted runner", "id", r.ID, "name", r.Name)
				res.Deleted = append(res.Deleted, r)
			case errors.Is(err, github.ErrBusy):
				// GitHub refuses to delete a runner that is running a job: it came back.
				log.Warn("prune: runner is busy again, left alone", "id", r.ID, "name", r.Name)
				res.Skipped = append(res.Skipped, r)
			default:
				log.Error("prune: delete failed", "id", r.ID, "name", r.Name, "err", err)
				res.Failed = append(res.Failed, PruneFailure{Runner: r, Error: err.Error()})
			}
		}()
	}
	wg.Wait()
	byID := func(a, b github.Runner) int { return int(a.ID - b.ID) }
	slices.SortFunc(res.Deleted, byID)
	slices.SortFunc(res.Skipped, byID)
	if len(res.Failed) > 0 {
		return res, fmt.Errorf("prune: %d of %d: %w", len(res.Failed), len(todo), ErrPruneIncomplete)
	}
	return res, nil
}

// deleteRunner deletes r; GitHub refuses (422) a runner running a job.
func deleteRunner(ctx context.Context, api RunnerAPI, r github.Runner) error {
	if err := api.DeleteRunner(ctx, r.ID); err != nil {
		if errors.Is(err, github.ErrBusy) {
			return fmt.Errorf("runner %d %q is running a job; GitHub deletes runners only when idle: %w", r.ID, r.Name, err)
		}
		return err
	}
	return nil
}
