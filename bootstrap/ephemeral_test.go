//go:build !windows

package bootstrap

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
	"github.com/runnerctl/runnerctl/platform"
)

// drain on a busy runner waits for the job, which succeeds, then deletes
// the registration and only then stops the service; the record is marked
// draining (no root step registers it again).
func TestPipelineDrainWaitsForTheJob(t *testing.T) {
	p := newPipe(t)
	res := p.mustInstall(p.options("drain-1"))
	svc := p.service("drain-1")
	if err := os.MkdirAll(filepath.Join(p.dir, "_diag"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, runnertest.JobSecondsFile), []byte("1.5"), 0o644); err != nil {
		t.Fatal(err)
	}
	p.srv.QueueJob(pipeScope, "drain-1")
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if rs := p.srv.Runners(pipeScope); len(rs) == 1 && rs[0].Busy {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("the runner never took the job")
		}
	}
	before := len(p.svc.Calls())
	dr, err := Drain(context.Background(), p.deps, DrainOptions{Dir: p.dir, Poll: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("drain: %v", err)
	}
	if !dr.Deregistered || dr.ID != res.ID || dr.Waited < 500*time.Millisecond {
		t.Errorf("drain result %+v: want the registration %d removed after waiting for the job", dr, res.ID)
	}
	if n := p.count("DELETE", "/runners/"+strconv.FormatInt(res.ID, 10)); n != 1 {
		t.Errorf("%d DELETEs: want exactly one, once the runner was idle", n)
	}
	if got := p.svc.Calls()[before:]; !slices.Equal(got, []string{"stop " + svc}) {
		t.Errorf("service calls during drain %q, want only the stop after the delete", got)
	}
	if out := p.svc.Logs(svc, time.Time{}, 100); !strings.Contains(strings.Join(out, "\n"), "completed with result: Succeeded") {
		t.Errorf("the job did not succeed:\n%s", strings.Join(out, "\n"))
	}
	if len(p.serverRunners()) != 0 {
		t.Errorf("server runners left: %q", p.serverRunners())
	}
	if rec, _ := p.store.Get(p.dir); rec == nil || rec.Runner == nil || !rec.Runner.Draining {
		t.Errorf("record %+v: want it marked draining", rec)
	}
	// A re-registration step finds it draining and registers nothing.
	if _, err := reregister(context.Background(), Env{}, p.store, p.dir, RunnerRecord{}, nil); err == nil || !strings.Contains(err.Error(), "drained") {
		t.Errorf("reregister of a drained runner: %v", err)
	}
}

// --on-ephemeral-exit reregister: the service gets its root step; the
// step's Install (Reregister) registers the runner again after its job
// under a new id and leaves the service alone; the record keeps the
// mode.
func TestPipelineReregisterLeavesTheService(t *testing.T) {
	if !platform.Privileged() {
		t.Skip("skipped: --on-ephemeral-exit reregister is root's (install refuses it otherwise)")
	}
	p := newPipe(t)
	o := p.options("eph-rr")
	o.Runner.Ephemeral, o.OnEphemeralExit = true, platform.EphemeralReregister
	res := p.mustInstall(o)
	svc := p.service("eph-rr")
	p.svc.mu.Lock()
	spec := p.svc.services[svc].spec
	p.svc.mu.Unlock()
	if len(spec.PreStart) == 0 || spec.PreStart[0] != "reregister" || !slices.Contains(spec.PreStart, p.store.Dir) ||
		!strings.Contains(strings.Join(spec.Args, " "), "--on-ephemeral-exit reregister") || spec.AfterExit != nil {
		t.Fatalf("service spec %+v: want the reregister step", spec)
	}
	// The job: the listener deletes its config and exits, the server
	// drops the registration.
	p.srv.QueueJob(pipeScope, "eph-rr")
	for start := time.Now(); configured(p.dir) || len(p.serverRunners()) != 0; time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatal("the ephemeral job did not end the registration")
		}
	}
	before := len(p.svc.Calls())
	o.Reregister, o.Wait = true, 0
	res2 := p.mustInstall(o)
	if res2.ID == 0 || res2.ID == res.ID || res2.Unchanged {
		t.Errorf("reregister %+v: want a new registration (old id %d)", res2, res.ID)
	}
	if got := p.svc.Calls()[before:]; len(got) != 0 {
		t.Errorf("the re-registration touched the service: %q", got)
	}
	if _, err := os.Lstat(filepath.Join(p.dir, ".service")); err != nil || !configured(p.dir) {
		t.Errorf("the fresh tree lacks .service or .runner: %v", err)
	}
	rec, _ := p.store.Get(p.dir)
	if rec == nil || rec.Runner == nil || rec.Runner.ID != res2.ID || rec.Runner.OnEphemeralExit != platform.EphemeralReregister || !rec.Runner.Ephemeral {
		t.Errorf("record %+v: want id %d, ephemeral, reregister", rec, res2.ID)
	}
	// Registered: the step changes nothing.
	if res3 := p.mustInstall(o); !res3.Unchanged || res3.ID != res2.ID {
		t.Errorf("step on a registered runner: %+v", res3)
	}
}
