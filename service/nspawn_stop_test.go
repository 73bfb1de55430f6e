//go:build linux

package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/platform"
	"github.com/runnerctl/runnerctl/service"
)

// On real systemd (in a container): `systemctl stop` in the middle of a
// self-update returns only after _update.sh has swapped bin/ (the unit's
// KillMode=mixed SIGKILLs the cgroup only once runnerctl run has exited,
// and runnerctl run waits for the update), the runner then starts and
// listens on the new version, and a stop ends a process a job left
// outside the listener's process group (setsid): systemd's cgroup kill.
func TestSystemdStopDuringUpdate(t *testing.T) {
	_, c := systemdHost(t)
	sh := func(cmd string) string {
		t.Helper()
		out, code := c.sh(cmd)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", cmd, code, out)
		}
		return out
	}
	const dir, name = "/opt/runner", "actions.runner.acme-app.upd"
	// The second listener leaves a process outside its group, as a job's
	// daemon would.
	listener := strings.Replace(fakeUpdatingListener, "echo \"Listening for Jobs\"\ntrap 'exit 0' INT TERM",
		"setsid sh -c 'echo $$ > escaped; exec sleep 1000' </dev/null >/dev/null 2>&1 &\necho \"Listening for Jobs\"\ntrap 'exit 0' INT TERM", 1)
	if listener == fakeUpdatingListener {
		t.Fatal("the fake listener was not changed")
	}
	sh("install -m 0755 /root/runnerctl-test/runnerctl /usr/local/bin/runnerctl && useradd -m rctlupd && mkdir -p " + dir + "/bin " + dir + "/bin.NEW " + dir + "/_work")
	sh("cat > " + dir + "/bin/Runner.Listener <<'EOF_LISTENER'\n" + listener + "EOF_LISTENER\nchmod 0755 " + dir + "/bin/Runner.Listener && chown -R rctlupd: " + dir)
	unit, err := service.SystemdUnit(platform.ServiceSpec{Name: name, DisplayName: name, Description: name, Executable: "/usr/local/bin/runnerctl",
		Args: []string{"run", "--dir", dir, "--service", name}, User: "rctlupd", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(unit, "KillMode=mixed\n") {
		t.Fatalf("the unit is not KillMode=mixed:\n%s", unit)
	}
	sh("cat > /etc/systemd/system/" + name + ".service <<'EOF_UNIT'\n" + unit + "EOF_UNIT\nsystemctl daemon-reload && systemctl start " + name)
	waitIn := func(cmd string, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			if _, code := c.sh(cmd); code == 0 {
				return
			}
			if time.Now().After(deadline) {
				out, _ := c.sh("journalctl --no-pager -n 50 -u " + name)
				t.Fatalf("%q not true within %s; journal:\n%s", cmd, within, out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitIn("test -e "+dir+"/update.started", 30*time.Second)
	stopAt := time.Now()
	sh("systemctl stop " + name)
	took := time.Since(stopAt)
	if out, _ := c.sh("cat " + dir + "/update.swapped; readlink " + dir + "/bin; test -x " + dir + "/bin/Runner.Listener && echo listener"); out != "ok\n"+dir+"/bin.NEW\nlistener\n" {
		j, _ := c.sh("journalctl --no-pager -n 50 -u " + name)
		t.Fatalf("after systemctl stop (%s) during the update: %q, want the swap done\n%s", took, out, j)
	}
	t.Logf("systemctl stop during the update took %s", took)
	sh("systemctl start " + name)
	waitIn("grep -q '\"state\":\"listening\"' /run/runnerctl/"+name+"/status.json", 30*time.Second)
	waitIn("test -s "+dir+"/escaped", 10*time.Second)
	escaped := strings.TrimSpace(sh("cat " + dir + "/escaped"))
	sh("systemctl stop " + name)
	if out, code := c.sh("kill -0 " + escaped); code == 0 {
		t.Errorf("the process the job left outside the listener's group (%s) survived the stop: %s", escaped, out)
	}
	if out := sh("systemctl show -p ActiveState --value " + name); strings.TrimSpace(out) != "inactive" {
		t.Errorf("after stop: %s", out)
	}
}
