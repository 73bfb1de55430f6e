//go:build linux

package service_test

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/platform"
	"github.com/runnerctl/runnerctl/service"
)

// Uninstall leaves no trace of the service on a real SysV host: no init
// script, no rc?.d links, no pid file, no /var/log/NAME.{log,err}, no
// status directory; whether it was running or stopped, and with a link
// planted in a log's place (removed, its target kept).
func TestSysVUninstallLeavesNoTrace(t *testing.T) {
	if os.Geteuid() != 0 || service.New(nil).Platform() != "unix-systemv" {
		skipOrFail(t, "skipped: needs root and a SysV host (service manager %s)", service.New(nil).Platform())
	}
	for _, running := range []bool{true, false} {
		t.Run(map[bool]string{true: "running", false: "stopped"}[running], func(t *testing.T) {
			base := t.TempDir()
			if err := os.Chmod(base, 0o755); err != nil {
				t.Fatal(err)
			}
			tag := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
			name := "actions.runner.acme-app.u" + tag
			exe, out := filepath.Join(base, "supervisor"), filepath.Join(base, "started")
			script := "#!/bin/sh\necho to-stdout\necho to-stderr >&2\ntouch '" + out + "'\nexec sleep 600\n"
			if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			m := service.New(slog.New(slog.NewTextHandler(io.Discard, nil)))
			t.Cleanup(func() { _ = m.Uninstall(name) })
			s := platform.ServiceSpec{Name: name, DisplayName: name, Description: "uninstall test", Executable: exe, Dir: base}
			if _, err := m.Install(s); err != nil {
				t.Fatal(err)
			}
			if err := m.Start(name); err != nil {
				t.Fatal(err)
			}
			waitFor(t, out, 10*time.Second)
			statusDir, _ := service.StatusDir(name)
			files := []string{"/etc/init.d/" + name, "/var/run/" + name + ".pid", "/var/log/" + name + ".log", "/var/log/" + name + ".err", statusDir}
			for _, f := range files {
				if _, err := os.Lstat(f); err != nil {
					t.Fatalf("after start: %v", err)
				}
			}
			links, _ := filepath.Glob("/etc/rc?.d/*" + name)
			if len(links) == 0 {
				t.Log("no rc?.d links were made (kardianos makes them where /etc/rc?.d exists)")
			}
			pid := pidFile(t, name)
			if !running {
				if err := m.Stop(name); err != nil {
					t.Fatal(err)
				}
				// A link planted where the stopped service's log was: removed, its target kept.
				target := filepath.Join(base, "keep")
				if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Remove("/var/log/" + name + ".err"); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, "/var/log/"+name+".err"); err != nil {
					t.Fatal(err)
				}
				defer func() {
					if b, err := os.ReadFile(target); err != nil || string(b) != "keep" {
						t.Errorf("the link's target was touched: %q %v", b, err)
					}
				}()
			}
			if err := m.Uninstall(name); err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if _, err := os.Lstat(f); err == nil {
					t.Errorf("%s is left after uninstall", f)
				}
			}
			if left, _ := filepath.Glob("/etc/rc?.d/*" + name); len(left) != 0 {
				t.Errorf("rc links left after uninstall: %v", left)
			}
			if processAliveUnix(pid) {
				t.Errorf("the supervisor (pid %d) runs after uninstall", pid)
			}
			if st, err := m.Status(name); err != nil || st.State != platform.ServiceNotInstalled {
				t.Errorf("status after uninstall: %+v %v", st, err)
			}
		})
	}
}

func waitFor(t *testing.T, path string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %s", path, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func processAliveUnix(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// A zombie (state Z) is not running.
	for i := len(b) - 1; i > 0; i-- {
		if b[i] == ')' && i+2 < len(b) {
			return b[i+2] != 'Z'
		}
	}
	return true
}
