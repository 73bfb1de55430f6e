package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github"
)

// fakeAPI records deletions and the peak number in flight.
type fakeAPI struct {
	runners []github.Runner
	fail    map[int64]error

	mu             sync.Mutex
	deleted        []int64
	inFlight, peak int
}

func (f *fakeAPI) ListRunners(context.Context, string) ([]github.Runner, error) {
	return f.runners, nil
}

func (f *fakeAPI) DeleteRunner(_ context.Context, id int64) error {
	f.mu.Lock()
	f.inFlight++
	f.peak = max(f.peak, f.inFlight)
	f.mu.Unlock()
	time.Sleep(2 * time.Millisecond) // let deletions overlap, so the bound is exercised
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight--
	if err := f.fail[id]; err != nil {
		return err
	}
	f.deleted = append(f.deleted, id)
	return nil
}

func mkRunner(id int64, status string, busy bool, labels ...string) github.Runner {
	r := github.Runner{ID: id, Name: "r", Status: status, Busy: busy}
	for _, l := range labels {
		r.Labels = append(r.Labels, github.Label{Name: l})
	}
	return r
}

func TestPrune(t *testing.T) {
	api := &fakeAPI{fail: map[int64]error{}}
	for i := int64(1); i <= 40; i++ {
		api.runners = append(api.runners, mkRunner(i, "offline", false, "gpu"))
	}
	api.runners = append(api.runners, mkRunner(41, "online", false, "gpu"), mkRunner(42, "offline", true, "gpu"), mkRunner(43, "offline", false, "cpu"))
	busyErr := fmt.Errorf("delete runner 5: %w", github.ErrBusy)
	api.fail[5] = busyErr
	api.fail[6] = errors.New("boom")
	log := slog.New(slog.DiscardHandler)

	res, err := Prune(context.Background(), api, PruneOptions{Labels: []string{"GPU"}, Parallel: 3}, log)
	if !errors.Is(err, ErrPruneIncomplete) {
		t.Fatalf("err = %v", err)
	}
	if len(res.Deleted) != 38 || len(res.Skipped) != 1 || len(res.Failed) != 1 {
		t.Fatalf("deleted %d skipped %d failed %d", len(res.Deleted), len(res.Skipped), len(res.Failed))
	}
	if api.peak > 3 || api.peak < 2 {
		t.Fatalf("peak deletions in flight = %d, want 2..3", api.peak)
	}
	for _, id := range api.deleted {
		if id > 40 {
			t.Fatalf("deleted runner %d (online, busy or unlabelled)", id)
		}
	}

	if _, err := Prune(context.Background(), api, PruneOptions{}, log); failure.KindOf(err) != failure.Usage {
		t.Fatalf("no filter: %v", err)
	}
	api.deleted = nil
	res, err = Prune(context.Background(), api, PruneOptions{All: true, DryRun: true}, log)
	if err != nil || len(res.Deleted) != 41 || len(api.deleted) != 0 {
		t.Fatalf("dry run: %d planned, %d deleted, %v", len(res.Deleted), len(api.deleted), err)
	}
}

func TestRunnerFilter(t *testing.T) {
	r := mkRunner(1, "online", false, "self-hosted", "GPU")
	r.Name = "ci-7"
	for _, tt := range []struct {
		f    RunnerFilter
		want bool
	}{
		{RunnerFilter{}, true},
		{RunnerFilter{Status: "online", Labels: []string{"gpu", "self-hosted"}, NamePrefix: "ci-"}, true},
		{RunnerFilter{Status: "offline"}, false},
		{RunnerFilter{Labels: []string{"gpu", "big"}}, false},
		{RunnerFilter{NamePrefix: "ci-8"}, false},
	} {
		if got := tt.f.Match(r); got != tt.want {
			t.Errorf("%+v.Match = %v", tt.f, got)
		}
	}
	if (RunnerFilter{Status: "idle"}).Validate() == nil {
		t.Error("status idle accepted")
	}
}
