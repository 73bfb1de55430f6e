package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github"
)

// DrainOptions configure Drain.
type DrainOptions struct {
	Dir string
	// Timeout bounds the wait for a running job; 0 waits as long as it runs.
	Timeout time.Duration
	// Poll is the pause between two looks at the runner (default 2 s).
	Poll time.Duration
}

// DrainResult says what Drain did.
type DrainResult struct {
	Dir     string `json:"dir"`
	Name    string `json:"name,omitempty"`
	ID      int64  `json:"id,omitempty"`
	Service string `json:"service,omitempty"`
	// Waited is how long a running job was waited for.
	Waited       time.Duration `json:"waited_ns"`
	Deregistered bool          `json:"deregistered"`
	// Nothing: no registration to drain (never installed, or gone).
	Nothing bool `json:"nothing_to_drain,omitempty"`
}

// Drain takes the runner in o.Dir out of service without losing a job:
// it waits while the server says the runner is busy, deletes its
// registration as soon as it is idle, then stops its service.
//
// The order is what narrows the race with the server handing out a job:
// GitHub refuses to delete a runner that is running a job (422), and a
// deleted runner gets no job, so the delete itself is the atomic "idle →
// out of service" step: it either succeeds on an idle runner (the
// listener then finds its registration gone and takes nothing more) or
// fails on a busy one, and Drain waits again. Stopping the listener
// first instead would cancel a job assigned in the meantime. What is
// left: a job the server has handed to the listener's message poll but
// not yet marked busy at the instant of the delete (GitHub requeues or
// fails such a job).
//
// The record is marked Draining first, so that the service's root steps
// neither register the runner again (reregister) nor power the host off
// (ephemeral-exit) when the listener exits on the deleted registration.
func Drain(ctx context.Context, d Deps, o DrainOptions) (DrainResult, error) {
	api, svc, log, st := d.API, d.Services, d.Log, d.Store
	dir, rec, err := dirRecord(st, o.Dir)
	res := DrainResult{Dir: dir}
	if err != nil {
		return res, err
	}
	if rec == nil || rec.Runner == nil {
		log.Info("no registration to drain", "dir", dir)
		res.Nothing = true
		return res, nil
	}
	r := rec.Runner
	res.Name, res.ID, res.Service = r.Name, r.ID, r.Service
	if api == nil {
		return res, failure.Wrap(failure.Auth, fmt.Errorf("drain: waiting for %q's job and removing its registration needs API credentials: set --access-token-file, RUNNERCTL_ACCESS_TOKEN or GITHUB_TOKEN", r.Name))
	}
	if !r.Draining {
		r.Draining = true
		if err := st.Put(*rec); err != nil {
			return res, err
		}
	}
	poll := o.Poll
	if poll <= 0 {
		poll = 2 * time.Second
	}
	start := time.Now()
	busySeen := false
	for {
		gr, err := api.GetRunner(ctx, r.ID)
		if errors.Is(err, github.ErrNotFound) {
			log.Info("the runner's registration is gone already", "name", r.Name, "id", r.ID)
			break
		}
		if err != nil {
			return res, fmt.Errorf("drain: %w", err)
		}
		if !gr.Busy {
			err = api.DeleteRunner(ctx, r.ID)
			if err == nil || errors.Is(err, github.ErrNotFound) {
				res.Deregistered = err == nil
				break
			}
			if !errors.Is(err, github.ErrBusy) {
				return res, fmt.Errorf("drain: %w", err)
			}
			// A job came in between the look and the delete.
		}
		if !busySeen {
			busySeen = true
			log.Info("the runner is running a job: waiting for it to finish", "name", r.Name, "id", r.ID, "timeout", o.Timeout)
		}
		pause := poll
		if o.Timeout > 0 {
			left := o.Timeout - time.Since(start)
			if left <= 0 {
				return res, undrain(st, dir, failure.Wrap(failure.Timeout, fmt.Errorf("drain: runner %q (id %d) is still running a job after --timeout %s: left registered and running", r.Name, r.ID, o.Timeout)))
			}
			pause = min(pause, left)
		}
		select {
		case <-ctx.Done():
			return res, undrain(st, dir, fmt.Errorf("drain: %w", ctx.Err()))
		case <-time.After(pause):
		}
	}
	res.Waited = time.Since(start)
	log.Info("runner registration removed: it takes no more jobs", "name", r.Name, "id", r.ID, "waited", res.Waited.Round(time.Millisecond))
	if r.Service != "" {
		if err := svc.Stop(r.Service); err != nil {
			return res, failure.Wrap(failure.Service, err)
		}
		log.Info("service stopped", "service", r.Service)
	}
	return res, nil
}

// dirRecord is the canonical runner directory of dir and its trusted
// record (nil when there is none).
func dirRecord(st Store, dir string) (string, *Record, error) {
	dir, err := runnerDir(dir)
	if err != nil {
		return "", nil, err
	}
	rec, err := st.Get(dir)
	return dir, rec, err
}

// undrain clears the Draining mark of a drain that gave up (the runner
// keeps running as before) and returns err.
func undrain(st Store, dir string, err error) error {
	rec, gerr := st.Get(dir)
	if gerr == nil && rec != nil && rec.Runner != nil {
		rec.Runner.Draining = false
		gerr = st.Put(*rec)
	}
	return errors.Join(err, gerr)
}

// RunDrain drains the runner in dir, or with all every runner in the
// trusted store.
func RunDrain(ctx context.Context, e Env, url string, all bool, o DrainOptions) error {
	dirs, err := Dirs(e.store(), o.Dir, all)
	if err != nil {
		return err
	}
	return eachRunner(e, dirs, e.lifecycleFor(url), WriteDrain, func(d Deps, dir string) (DrainResult, error) {
		oo := o
		oo.Dir = dir
		return Drain(ctx, d, oo)
	})
}

// drainOne drains the runner in o.Dir with the client its record names.
func (e Env) drainOne(ctx context.Context, url string, o DrainOptions) (DrainResult, error) {
	c, err := e.lifecycleAPI(url, o.Dir)
	if err != nil {
		return DrainResult{}, err
	}
	d, err := e.deps(c)
	if err != nil {
		return DrainResult{}, err
	}
	return Drain(ctx, d, o)
}

// WriteDrain prints what drain did: one line per runner, or JSON.
func WriteDrain(w io.Writer, f Format, results []DrainResult) error {
	if f == "json" {
		return WriteJSON(w, results)
	}
	for _, res := range results {
		line := fmt.Sprintf("drained runner %s (id %d) in %s: registration removed after %s, service %s stopped",
			res.Name, res.ID, res.Dir, res.Waited.Round(10*time.Millisecond), res.Service)
		switch {
		case res.Nothing:
			line = "nothing to drain in " + res.Dir
		case res.Service == "":
			line = strings.TrimSuffix(line, ", service  stopped")
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}
