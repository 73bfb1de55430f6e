package service_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/service"
)

// Ephemeral runners with a real service manager (--on-ephemeral-exit):
// the supervisor runs as the runner user and only exits 10 after the
// job; the manager runs runnerctl's root step around it.

// runnerID is the id of the runner named name on the fake, 0 if none.
func runnerID(srv *githubtest.Server, name string) int64 {
	for _, r := range srv.Runners("repos/acme/app") {
		if r.Name == name {
			return r.ID
		}
	}
	return 0
}

// waitUntil polls cond every 100 ms for up to within.
func waitUntil(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Since(start) > within {
			t.Fatalf("%s: not after %s", what, within)
		}
	}
}

// serviceLog logs the service's last log lines when the test failed.
func serviceLog(t *testing.T, h host, svc string) {
	if t.Failed() {
		out, _ := h.sh(fmt.Sprintf("journalctl -u %s --no-pager 2>/dev/null | tail -n 60 || true; tail -n 60 /var/log/%s.err /var/log/%s.log 2>/dev/null || true", svc, svc, svc))
		t.Logf("service log:\n%s", out)
	}
}

// ephemeralShutdown: the shutdown command runs as root after the job,
// and not after a crash of the supervisor or a stop; the service is not
// started again.
func ephemeralShutdown(t *testing.T, f fixture, h host, dir string, common []string, name, marker string, kill func(svc string)) {
	svc := service.Name("acme-app", name)
	defer serviceLog(t, h, svc)
	cmd := fmt.Sprintf("id -u > %s", marker)
	if out, code := h.runnerctl(append([]string{"install", "--name", name, "--dir", dir, "--ephemeral", "--on-ephemeral-exit", "shutdown",
		"--shutdown-command", cmd, "--wait", "30s"}, common...)...); code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	if def, _ := h.sh("cat " + h.definition(svc)); !strings.Contains(def, "ephemeral-exit") {
		t.Fatalf("the service has no ephemeral-exit step:\n%s", def)
	}
	f.waitStatus(t, name, "online", 30*time.Second)

	// A crash of the supervisor is not the end of the job.
	kill(svc)
	time.Sleep(2 * time.Second)
	if out, code := h.sh("test -e " + marker); code == 0 {
		t.Fatalf("the shutdown command ran after a crash: %s", out)
	}
	f.waitStatus(t, name, "online", 30*time.Second)

	f.srv.QueueJob("repos/acme/app", name)
	waitUntil(t, "the shutdown command after the job", 30*time.Second, func() bool {
		_, code := h.sh("test -s " + marker)
		return code == 0
	})
	if out, _ := h.sh("cat " + marker); strings.TrimSpace(out) != "0" {
		t.Errorf("the shutdown command ran as uid %q, want 0 (root)", out)
	}
	if out, _ := h.runnerctl("status", "--dir", dir, "--state-dir", common[3]); !strings.Contains(out, "stopped") {
		t.Errorf("after the job the service is not stopped:\n%s", out)
	}
	if n := runnerID(f.srv, name); n != 0 {
		t.Errorf("the ephemeral runner is still registered (id %d)", n)
	}
}

// ephemeralReregister: after each job the service registers the runner
// again (a new id), in its root step; drain then takes it out for good.
func ephemeralReregister(t *testing.T, f fixture, h host, dir string, common []string, name string) {
	svc := service.Name("acme-app", name)
	defer serviceLog(t, h, svc)
	if out, code := h.runnerctl(append([]string{"install", "--name", name, "--dir", dir, "--ephemeral", "--on-ephemeral-exit", "reregister", "--wait", "30s"}, common...)...); code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	f.waitStatus(t, name, "online", 30*time.Second)
	ids := []int64{runnerID(f.srv, name)}
	for range 2 {
		f.srv.QueueJob("repos/acme/app", name)
		waitUntil(t, "a new registration after the job", 60*time.Second, func() bool {
			id := runnerID(f.srv, name)
			return id != 0 && id != ids[len(ids)-1]
		})
		ids = append(ids, runnerID(f.srv, name))
		f.waitStatus(t, name, "online", 30*time.Second)
	}
	t.Logf("ids after each job: %v", ids)
	if out, code := h.runnerctl("drain", "--dir", dir, "--state-dir", common[3]); code != 0 {
		t.Fatalf("drain: exit %d\n%s", code, out)
	}
	time.Sleep(3 * time.Second) // a restart would register it again within this
	if id := runnerID(f.srv, name); id != 0 {
		t.Errorf("after drain the runner is registered again (id %d)", id)
	}
}

func TestSystemdEphemeral(t *testing.T) {
	f, c := systemdHost(t)
	// The root step takes its credential where a host keeps it: the
	// config file (the service's command line holds none).
	if out, code := c.sh(fmt.Sprintf("mkdir -p -m 0700 /etc/runnerctl && umask 077 && printf '%%s' %s > /etc/runnerctl/token && printf 'access-token-file: /etc/runnerctl/token\\n' > /etc/runnerctl/config.yaml",
		githubtest.Token)); code != 0 {
		t.Fatal(out)
	}
	common := []string{"--url", f.srv.URL + "/acme/app", "--state-dir", "/var/lib/runnerctl", "--cache-dir", "/var/cache/rctl", "--user", "runner"}
	t.Cleanup(func() {
		if out, code := c.runnerctl("uninstall", "--all", "--state-dir", "/var/lib/runnerctl"); code != 0 {
			t.Logf("cleanup uninstall: %d %s", code, out)
		}
	})
	t.Run("shutdown", func(t *testing.T) {
		ephemeralShutdown(t, f, c, "/opt/eph-sd", common, "eph-sd", "/run/shutdown-called", func(svc string) {
			if out, code := c.enter("systemctl", "kill", "--kill-whom=main", "--signal=KILL", svc); code != 0 {
				t.Fatalf("kill: %s", out)
			}
		})
	})
	t.Run("reregister", func(t *testing.T) {
		ephemeralReregister(t, f, c, "/opt/eph-rr", common, "eph-rr")
	})
}

func TestSysVEphemeral(t *testing.T) {
	f, h, tag, user, index, binDir := sysvRunners(t)
	common := []string{"--url", f.srv.URL + "/acme/app", "--state-dir", index, "--cache-dir", filepath.Join(h.base, "cache"), "--user", user, "--bin-dir", binDir}
	t.Run("shutdown", func(t *testing.T) {
		ephemeralShutdown(t, f, h, filepath.Join(h.base, "sd"), common, "sd-"+tag, filepath.Join(h.base, "shutdown-called"), func(svc string) {
			// The supervisor (the runner user's) dies: the root loop ends
			// without the shutdown (SysV restarts no service), then the
			// test starts it again.
			loop := "/var/run/" + svc + ".pid"
			if out, code := h.sh(fmt.Sprintf("kill -KILL $(pgrep -P $(cat %s)) && while kill -0 $(cat %s) 2>/dev/null; do sleep 0.1; done && /etc/init.d/%s start", loop, loop, svc)); code != 0 {
				t.Fatalf("kill and start: %s", out)
			}
		})
	})
	t.Run("reregister", func(t *testing.T) {
		ephemeralReregister(t, f, h, filepath.Join(h.base, "rr"), common, "rr-"+tag)
	})
}
