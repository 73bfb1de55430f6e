//go:build !windows

package bootstrap

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/runner/runnertest"
	"github.com/runnerctl/runnerctl/platform"
)

func (p *pipe) update(o InstallOptions) (UpdateResult, error) {
	return Update(context.Background(), p.deps, UpdateOptions{Dir: p.dir, Wait: 20 * time.Second, Timeout: 20 * time.Second, pollEvery: 50 * time.Millisecond, waitPolicy: o.waitPolicy})
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (p *pipe) busy(name string) bool {
	for _, r := range p.srv.Runners(pipeScope) {
		if r.Name == name {
			return r.Busy
		}
	}
	return false
}

func listenerVersion(t *testing.T, dir string) string {
	out, err := exec.Command(filepath.Join(dir, "bin", "Runner.Listener"), "--version").Output()
	if err != nil {
		t.Errorf("bin/Runner.Listener --version: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// update swaps the package between jobs: it waits for the running job to
// end (the job succeeds, it is not cancelled), stops the runner, puts the
// new tree in place with the runner's registration files and _work
// carried over, and starts it: same id, no new registration, the new
// version online.
func TestPipelineUpdateBetweenJobs(t *testing.T) {
	p := newPipe(t)
	o := p.options("upd-1")
	o.Runner.DisableUpdate = true
	res := p.mustInstall(o)
	if got := p.log.with("--disableupdate: GitHub stops sending jobs to a runner more than 30 days behind"); len(got) != 1 {
		t.Errorf("--disableupdate warnings %q, want one", got)
	}
	svcName := p.service("upd-1")
	runnerFile, err := os.ReadFile(filepath.Join(p.dir, ".runner"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(p.dir, "_work", "_tool"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, "_work", "_tool", "keep"), []byte("cache"), 0o644); err != nil {
		t.Fatal(err)
	}

	// Nothing newer: nothing done.
	if up, err := p.update(o); err != nil || up.Updated {
		t.Fatalf("update with the current package: %+v %v", up, err)
	}
	newer, old := p.publishNewer(t)

	// A re-run of install says the package is behind.
	p.mustInstall(o)
	if got := p.log.with("runner package " + old + " is older than the " + newer.Version); len(got) != 1 {
		t.Errorf("re-run over a --disableupdate runner behind the server: %q", got)
	}

	if err := runnertest.SetKnob(p.dir, runnertest.JobSecondsFile, "8"); err != nil { // longer than staging the new package takes under load
		t.Fatal(err)
	}
	p.srv.QueueJob(pipeScope, "upd-1")
	waitFor(t, "the job to start", func() bool { return p.busy("upd-1") })
	calls := len(p.svc.Calls())
	up, err := p.update(o)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if !up.Updated || up.From != old || up.To != newer.Version || up.Status != "online" || up.ID != res.ID {
		t.Errorf("update result %+v, want %s → %s, online, id %d", up, old, newer.Version, res.ID)
	}
	if got := p.log.with("the runner is running a job: waiting for it to end"); len(got) != 1 {
		t.Errorf("update did not wait for the job: %q", got)
	}
	logs := strings.Join(p.svc.Logs(svcName, time.Time{}, 0), "\n")
	if !strings.Contains(logs, "completed with result: Succeeded") || strings.Contains(logs, "Canceled") {
		t.Errorf("the job was not left to finish:\n%s", logs)
	}
	if got, want := p.svc.Calls()[calls:], []string{"stop " + svcName, "start " + svcName}; !slices.Equal(got, want) {
		t.Errorf("service calls %q, want %q", got, want)
	}
	if got := p.log.with("runner package " + old + " → " + newer.Version); len(got) != 1 {
		t.Errorf("log lines %q, want one 'runner package %s → %s'", got, old, newer.Version)
	}
	if v := listenerVersion(t, p.dir); v != newer.Version {
		t.Errorf("the listener in place is %s, want %s", v, newer.Version)
	}
	if b, err := os.ReadFile(filepath.Join(p.dir, ".runner")); err != nil || !bytes.Equal(b, runnerFile) {
		t.Errorf(".runner after the update: %q %v, want it kept", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(p.dir, "_work", "_tool", "keep")); err != nil || string(b) != "cache" {
		t.Errorf("_work not kept: %q %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(p.dir, filepath.FromSlash(runnertest.JobSecondsFile))); err != nil || string(b) != "8" {
		t.Errorf("_diag not kept: %q %v", b, err)
	}
	if fi, err := os.Lstat(filepath.Join(p.dir, ".credentials_rsaparams")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf(".credentials_rsaparams: %v %v, want kept, 0600", fi, err)
	}
	if rec, err := p.store.Get(p.dir); err != nil || rec.Package.Filename != newer.Filename || rec.Runner.ID != res.ID || rec.Runner.Settings == nil || !rec.Runner.Settings.DisableUpdate {
		t.Errorf("record %+v (%v)", rec, err)
	}
	if n := p.count("POST", "/registration-token"); n != 1 {
		t.Errorf("%d registration tokens minted, want 1: the registration is kept", n)
	}
	waitFor(t, "the server to see the new version", func() bool { return p.serverVersion("upd-1") == newer.Version })
	if got := p.serverRunners(); !slices.Equal(got, []string{"upd-1"}) {
		t.Errorf("server runners %q", got)
	}
	entries, _ := os.ReadDir(filepath.Dir(p.dir))
	for _, e := range entries {
		if strings.Contains(e.Name(), "staging") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// A runner whose version the server refuses stops (its listener exits
// for good); update brings the new package and it comes back online
// under the same registration.
func TestPipelineUpdateAfterVersionRefused(t *testing.T) {
	p := newPipe(t)
	o := p.options("upd-refused")
	res := p.mustInstall(o)
	svcName := p.service("upd-refused")
	newer, _ := p.publishNewer(t)
	p.srv.SetMinimumVersion(newer.Version)
	waitFor(t, "the refused listener to exit", func() bool {
		st, _ := p.svc.Status(svcName)
		return st.State == platform.ServiceStopped
	})
	if logs := strings.Join(p.svc.Logs(svcName, time.Time{}, 0), "\n"); !strings.Contains(logs, "is deprecated and cannot receive messages") {
		t.Errorf("the listener did not say its version was refused:\n%s", logs)
	}
	up, err := p.update(o)
	if err != nil || !up.Updated || up.Status != "online" || up.ID != res.ID {
		t.Fatalf("update after the refusal: %+v %v", up, err)
	}
}

// A link a job planted in place of a registration file is not followed:
// update fails, changes nothing, and starts the runner again.
func TestPipelineUpdateRefusesALink(t *testing.T) {
	p := newPipe(t)
	o := p.options("upd-link")
	p.mustInstall(o)
	svcName := p.service("upd-link")
	_, old := p.publishNewer(t)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("root only"), 0o600); err != nil {
		t.Fatal(err)
	}
	cred := filepath.Join(p.dir, ".credentials")
	if err := os.Remove(cred); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, cred); err != nil {
		t.Fatal(err)
	}
	if _, err := p.update(o); err == nil || !strings.Contains(err.Error(), "not followed") {
		t.Errorf("update over a planted link: %v, want a refusal", err)
	}
	if v := listenerVersion(t, p.dir); v != old {
		t.Errorf("the tree changed: listener %s, want %s", v, old)
	}
	if st, _ := p.svc.Status(svcName); st.State != platform.ServiceRunning {
		t.Errorf("service %s after the failed update, want running again", st.State)
	}
}

// A runner registered with --work NAME keeps its work folder (job
// workspaces, the tool cache) across an update, as it keeps _work.
func TestPipelineUpdateKeepsWorkFolder(t *testing.T) {
	p := newPipe(t)
	o := p.options("upd-work")
	o.Runner.Work = "mywork/jobs"
	p.mustInstall(o)
	keep := filepath.Join(p.dir, "mywork", "jobs", "_tool", "keep")
	if err := os.MkdirAll(filepath.Dir(keep), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keep, []byte("cache"), 0o644); err != nil {
		t.Fatal(err)
	}
	newer, _ := p.publishNewer(t)
	if up, err := p.update(o); err != nil || !up.Updated || up.To != newer.Version {
		t.Fatalf("update: %+v %v", up, err)
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "cache" {
		t.Errorf("--work folder not kept: %q %v", b, err)
	}
}

func TestKeptEntries(t *testing.T) {
	for work, want := range map[string]string{
		"": "_work,_diag", "_work": "_work,_diag", "/srv/work": "_work,_diag", "../out": "_work,_diag", ".credentials": "_work,_diag",
		"w": "_work,_diag,w", "./a/b": "_work,_diag,a",
	} {
		if got := strings.Join(keptEntries(&RunnerRecord{Settings: &RegistrationSettings{Work: work}}), ","); got != want {
			t.Errorf("--work %q: %s, want %s", work, got, want)
		}
	}
}

// When the swap is done but the old tree cannot be removed (here a file
// root cannot unlink: immutable), the new package is in place: update
// records it and starts the runner (no rollback of what is no longer
// there), and says what failed.
func TestPipelineUpdateOldTreeNotRemoved(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: chattr +i")
	}
	p := newPipe(t)
	o := p.options("upd-stuck")
	p.mustInstall(o)
	svcName := p.service("upd-stuck")
	stuck := filepath.Join(p.dir, "stuck")
	if err := os.WriteFile(stuck, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("chattr", "+i", stuck).CombinedOutput(); err != nil {
		t.Skipf("chattr +i (the file system may not have it): %v %s", err, out)
	}
	t.Cleanup(func() {
		matches, _ := filepath.Glob(filepath.Join(filepath.Dir(p.dir), ".*staging*", "tree", "stuck"))
		for _, m := range append(matches, stuck) {
			_ = exec.Command("chattr", "-i", m).Run()
		}
		for _, m := range matches {
			_ = os.RemoveAll(filepath.Dir(filepath.Dir(m)))
		}
	})
	newer, _ := p.publishNewer(t)
	up, err := p.update(o)
	if err == nil || !strings.Contains(err.Error(), "the new package is in place") {
		t.Errorf("update: %v, want the old tree's removal named", err)
	}
	if !up.Updated || up.Status != "online" {
		t.Errorf("update result %+v, want updated and online", up)
	}
	if v := listenerVersion(t, p.dir); v != newer.Version {
		t.Errorf("listener %s, want %s", v, newer.Version)
	}
	if rec, err := p.store.Get(p.dir); err != nil || rec.Package.Filename != newer.Filename {
		t.Errorf("record %+v (%v), want the new package", rec, err)
	}
	if got := p.log.with("could not move"); len(got) != 0 {
		t.Errorf("a rollback ran after the swap: %q", got)
	}
	if st, _ := p.svc.Status(svcName); st.State != platform.ServiceRunning {
		t.Errorf("service %s, want running", st.State)
	}
}
