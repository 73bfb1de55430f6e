package service_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
	"github.com/runnerctl/runnerctl/service"
)

// The placeholders of packaging/cloud-init/user-data.yaml that
// TestCloudInitFirstBoot substitutes textually.
const (
	ciReleaseURL = "https://github.com/runnerctl/runnerctl/releases/download/v0.1.0/runnerctl-linux-amd64"
	ciSHA256     = "0000000000000000000000000000000000000000000000000000000000000000"
	ciRepoURL    = "https://github.com/acme/app"
	ciPAT        = "ghp_REPLACE-ME-with-a-personal-access-token"
)

// ciPath is the PATH of commands run in the container with an empty
// environment (as cloud-init's runcmd and systemd services have).
const ciPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// TestCloudInitFirstBoot boots the cloud-init example operators copy
// (packaging/cloud-init/user-data.yaml) with a real cloud-init (NoCloud
// seed) and systemd in a container, against the fake GHES on the shared
// loopback: first boot → runner online, reboot → online again without a
// second registration, then status, runners list and uninstall with the
// config file alone, and nothing left behind.
//
// RUNNERCTL_CLOUDINIT_ROOTFS overrides the image (default
// .cache/cloudinit-rootfs, `make cloudinit-rootfs`);
// RUNNERCTL_CLOUDINIT_USERDATA boots another user-data with the same
// placeholders (to try a variant without editing the example).
func TestCloudInitFirstBoot(t *testing.T) {
	example, err := filepath.Abs("../packaging/cloud-init/user-data.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if v := os.Getenv("RUNNERCTL_CLOUDINIT_USERDATA"); v != "" {
		example = v
	}
	raw, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("schema", func(t *testing.T) {
		if _, err := exec.LookPath("cloud-init"); err != nil {
			skipOrFail(t, "skipped: cloud-init is not installed on this host (apt-get install cloud-init), so `cloud-init schema` cannot check the example")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "cloud-init", "schema", "--config-file", example).CombinedOutput(); err != nil {
			t.Errorf("cloud-init schema --config-file %s: %v\n%s", example, err, out)
		}
	})

	needNspawn(t)
	lower := cachedRootfs(t, "RUNNERCTL_CLOUDINIT_ROOTFS", "cloudinit-rootfs", "`make cloudinit-rootfs` (debootstrap + apt, about 75 s)",
		"lib/systemd/systemd", "usr/bin/cloud-init", "usr/bin/curl")

	f := newFixture(t)

	// runnerctl's "release", served on loopback: the container shares the
	// host's network namespace.
	bin, err := os.ReadFile(f.bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bin)
	releasePath := mustURL(t, ciReleaseURL).Path
	var downloads atomic.Int32
	rel := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != releasePath {
			http.NotFound(w, r)
			return
		}
		downloads.Add(1)
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(bin)
	}))
	t.Cleanup(rel.Close)

	userData, cfgPath, cfg := ciUserData(t, raw, []ciPlaceholder{
		{ciReleaseURL, rel.URL + releasePath},
		{ciSHA256, hex.EncodeToString(sum[:])},
		{ciRepoURL, f.srv.URL + "/acme/app"},
		{ciPAT, githubtest.Token},
	})
	const hostname = "ci-host-1"
	name := hostname
	if n, ok := cfg["name"].(string); ok && n != "" {
		name = n
	}
	dir, user := "/opt/actions-runner", "runner"
	if d, ok := cfg["dir"].(string); ok && d != "" {
		dir = d
	}
	if u, ok := cfg["user"].(string); ok && u != "" {
		user = u
	}
	svcName := service.Name("acme-app", name)

	// The container's disk: the cached rootfs (pristine) under a persistent
	// upper layer that holds the NoCloud seed and what the boots write.
	tmp := t.TempDir()
	upper, work, merged := filepath.Join(tmp, "upper"), filepath.Join(tmp, "work"), filepath.Join(tmp, "merged")
	for _, p := range []string{lower, tmp} {
		if strings.ContainsAny(p, ",:") {
			t.Skipf("skipped: %s has a comma or colon, which overlayfs options cannot hold", p)
		}
	}
	for _, d := range []string{upper, work, merged} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const iid = "iid-runnerctl-cloudinit-test"
	seed := filepath.Join(upper, "var/lib/cloud/seed/nocloud")
	if err := os.MkdirAll(seed, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(seed, "user-data"), userData, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(seed, "meta-data"), []byte("instance-id: "+iid+"\nlocal-hostname: "+hostname+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	launcher := filepath.Join(tmp, "boot.sh")
	if err := os.WriteFile(launcher, []byte(cloudInitLauncher), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"LOWER=" + lower, "UPPER=" + upper, "WORK=" + work, "MERGED=" + merged}
	console := filepath.Join(tmp, "console.log")

	// Whatever happens: on failure, what the container says; then stop it
	// (bounded). The overlay mount lives in the container's mount namespace.
	var cur *boot
	t.Cleanup(func() {
		if t.Failed() {
			ciDiagnose(t, cur, upper, console, svcName)
		}
		if cur != nil {
			cur.stop(t, 30*time.Second)
		}
	})

	// First boot: cloud-init writes the config, runs runcmd, runnerctl
	// install registers the runner and starts its service.
	cur = bootContainer(t, launcher, nil, env, console, "/usr/local/bin/runnerctl")
	first := ciWaitOnline(t, f, cur, name, upper, 120*time.Second)
	t.Logf("first boot: runner %s online %s after container start", name, first.Round(time.Millisecond))
	ciWaitCloudInitDone(t, cur)
	if out, _ := cur.c.sh("cat /var/log/cloud-init-output.log"); strings.Contains(out, "Invalid cloud-config") {
		t.Errorf("cloud-init found the user-data or the image's cloud-config invalid (see `cloud-init schema --system` in the container):\n%s", out)
	}
	rs := ciRunners(f, name)
	if len(rs) != 1 {
		t.Fatalf("want one runner %s on the server, got %+v", name, f.srv.Runners("repos/acme/app"))
	}
	if got := strings.Join(rs[0].Labels, ","); got != "gpu,big" {
		t.Errorf("labels on the server: %q, want gpu,big", got)
	}
	runnerID := rs[0].ID
	regs, mints := registrations(f.srv), ciMints(f.srv)
	if regs != 1 || mints != 1 {
		t.Errorf("first boot: %d registrations and %d registration tokens minted, want 1 and 1", regs, mints)
	}
	if n := downloads.Load(); n != 1 {
		t.Errorf("runnerctl was downloaded %d times, want 1", n)
	}
	ciRootOnly(t, cur.c, cfgPath, "/etc/runnerctl/token", "/var/lib/cloud/instances/"+iid+"/user-data.txt")
	if _, code := cur.c.sh("test -x /usr/local/bin/runnerctl"); code != 0 {
		t.Errorf("install did not put runnerctl in /usr/local/bin")
	}
	if out, _ := enterWithin(cur.c, 10*time.Second, "systemctl", "show", "-p", "ExecStart", "--value", svcName+".service"); !strings.Contains(out, "/usr/local/bin/runnerctl") || strings.Contains(out, "/tmp/") {
		t.Errorf("the service does not run /usr/local/bin/runnerctl (it must not depend on /tmp/runnerctl): ExecStart=%s", strings.TrimSpace(out))
	}

	// Reboot: power off, wait for the runner to go offline, boot again on
	// the same disk. systemd starts the runner; cloud-init must not run the
	// per-instance runcmd again.
	if err := cur.poweroff(60 * time.Second); err != nil {
		t.Fatalf("reboot: %v", err)
	}
	f.waitStatus(t, name, "offline", 15*time.Second)
	cur = bootContainer(t, launcher, nil, env, console, "/usr/local/bin/runnerctl")
	second := ciWaitOnline(t, f, cur, name, upper, 120*time.Second)
	t.Logf("reboot: runner %s online %s after container start", name, second.Round(time.Millisecond))
	t.Logf("cloud-init timings: first boot start → online %s, reboot start → online %s", first.Round(time.Millisecond), second.Round(time.Millisecond))
	ciWaitCloudInitDone(t, cur)
	if out, code := cur.c.sh("test -e /tmp/runnerctl && ls -l /tmp/runnerctl"); code == 0 {
		t.Errorf("/tmp/runnerctl survived the reboot, so the test proves nothing about the service not needing it: %s", out)
	}
	if r, m := registrations(f.srv), ciMints(f.srv); r != regs || m != mints {
		t.Errorf("the reboot registered again: registrations %d → %d, registration tokens %d → %d", regs, r, mints, m)
	}
	if rs := ciRunners(f, name); len(rs) != 1 || rs[0].ID != runnerID {
		t.Errorf("after the reboot the server has %+v, want runner id %d only", rs, runnerID)
	}
	if n := downloads.Load(); n != 1 {
		t.Errorf("runnerctl was downloaded %d times over two boots, want 1 (runcmd ran again?)", n)
	}

	// The config file alone drives the other commands: no flags, and no
	// credential in the environment (env -i), only access-token-file.
	rc := func(args ...string) (string, int) {
		return enterWithin(cur.c, 2*time.Minute, append([]string{"env", "-i", ciPath, "/usr/local/bin/runnerctl"}, args...)...)
	}
	if out, code := rc("status"); code != 0 || !strings.Contains(out, name) {
		t.Errorf("runnerctl status (config file only): exit %d, want 0 and %s in the output\n%s", code, name, out)
	} else {
		t.Logf("runnerctl status:\n%s", out)
	}
	if out, code := rc("runners", "list"); code != 0 || !strings.Contains(out, name) {
		t.Errorf("runnerctl runners list (config file only): exit %d, want 0 and %s listed\n%s", code, name, out)
	} else {
		t.Logf("runnerctl runners list:\n%s", out)
	}
	if out, code := rc("uninstall"); code != 0 {
		t.Fatalf("runnerctl uninstall (config file only): exit %d\n%s", code, out)
	}
	if rs := ciRunners(f, name); len(rs) != 0 {
		t.Errorf("registration left on the server after uninstall: %+v", rs)
	}
	for _, check := range []struct{ what, cmd string }{
		{"a unit file", "ls -d /etc/systemd/system/actions.runner.* 2>/dev/null"},
		{"a wants link", "ls -d /etc/systemd/system/*.wants/actions.runner.* 2>/dev/null"},
		{"the runner directory", "ls -d " + dir + " 2>/dev/null"},
		{"the runner user", "id " + user + " 2>/dev/null"},
		{"/usr/local/bin/runnerctl", "ls -d /usr/local/bin/runnerctl 2>/dev/null"},
	} {
		if out, _ := cur.c.sh(check.cmd); strings.TrimSpace(out) != "" {
			t.Errorf("uninstall left %s behind: %s", check.what, strings.TrimSpace(out))
		}
	}
}

type ciPlaceholder struct{ old, new string }

// ciUserData substitutes the placeholders in the example and checks, on
// the parsed result, that none is left; it returns the user-data, and the
// path and parsed content of the runnerctl config file it writes
// (/etc/runnerctl/config.yaml).
func ciUserData(t *testing.T, raw []byte, subst []ciPlaceholder) ([]byte, string, map[string]any) {
	t.Helper()
	s := string(raw)
	if !strings.HasPrefix(s, "#cloud-config\n") {
		t.Fatalf("the user-data does not start with #cloud-config")
	}
	for _, p := range subst {
		if !strings.Contains(s, p.old) {
			t.Fatalf("the user-data has no placeholder %q any more: the test substitutes it (update the test with the example)", p.old)
		}
		s = strings.ReplaceAll(s, p.old, p.new)
	}
	var doc struct {
		WriteFiles []struct {
			Path, Content, Owner, Permissions string
		} `yaml:"write_files"`
		Runcmd []any `yaml:"runcmd"`
	}
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("the substituted user-data is not YAML: %v\n%s", err, s)
	}
	left := func(where, v string) {
		for _, p := range subst {
			if strings.Contains(v, p.old) {
				t.Fatalf("placeholder %q left in %s: %q", p.old, where, v)
			}
		}
		if strings.Contains(v, "REPLACE-ME") {
			t.Fatalf("a REPLACE-ME is left in %s: %q", where, v)
		}
	}
	var cfg map[string]any
	var cfgPath, token string
	for _, wf := range doc.WriteFiles {
		switch {
		case strings.HasPrefix(wf.Path, "/etc/runnerctl/") && strings.HasSuffix(wf.Path, ".yaml"):
			// /etc/runnerctl/config.yaml (a variant may pass another with --config)
			if cfg != nil {
				t.Fatalf("the user-data writes two runnerctl config files")
			}
			cfgPath = wf.Path
			if err := yaml.Unmarshal([]byte(wf.Content), &cfg); err != nil {
				t.Fatalf("%s in the user-data is not YAML: %v", wf.Path, err)
			}
			for k, v := range cfg {
				left(wf.Path+": "+k, fmt.Sprint(v))
			}
		case wf.Path == "/etc/runnerctl/token":
			token = strings.TrimSpace(wf.Content)
			left(wf.Path, wf.Content)
		default:
			left(wf.Path, wf.Content)
		}
	}
	if cfg == nil {
		t.Fatalf("the user-data writes no runnerctl config file (/etc/runnerctl/config.yaml)")
	}
	if got, want := cfg["url"], subst[2].new; got != want {
		t.Fatalf("config url = %v, want %s", got, want)
	}
	if tf, _ := cfg["access-token-file"].(string); tf != "/etc/runnerctl/token" || token != githubtest.Token {
		t.Fatalf("the config's access-token-file (%q) is not the token file the user-data writes", tf)
	}
	cmds := fmt.Sprint(doc.Runcmd)
	left("runcmd", cmds)
	for _, want := range []string{subst[0].new, subst[1].new} {
		if !strings.Contains(cmds, want) {
			t.Fatalf("runcmd does not use %s: %s", want, cmds)
		}
	}
	return []byte(s), cfgPath, cfg
}

// ciWaitOnline polls the fake server until the runner is online and
// returns the time since the container started. It gives up early when
// cloud-init has finished this boot (result.json) and the runner is still
// not online a few seconds later, or when the container stopped.
func ciWaitOnline(t *testing.T, f fixture, b *boot, name, upper string, within time.Duration) time.Duration {
	t.Helper()
	result := filepath.Join(upper, "var/lib/cloud/data/result.json")
	var finished time.Time
	for {
		for _, r := range ciRunners(f, name) {
			if r.Status == "online" {
				return time.Since(b.start)
			}
		}
		switch {
		case b.exited():
			t.Fatalf("the container stopped (%v) before runner %s was online", b.cmd.ProcessState, name)
		case time.Since(b.start) > within:
			t.Fatalf("runner %s not online %s after container start; server: %+v", name, within, f.srv.Runners("repos/acme/app"))
		case finished.IsZero():
			if fi, err := os.Stat(result); err == nil && !fi.ModTime().Before(b.start) {
				finished = time.Now()
			}
		case time.Since(finished) > 10*time.Second:
			res, _ := os.ReadFile(result)
			t.Fatalf("cloud-init finished this boot %s after start, and runner %s is still not online 10 s later; server: %+v; result.json: %s",
				finished.Sub(b.start).Round(time.Millisecond), name, f.srv.Runners("repos/acme/app"), strings.TrimSpace(string(res)))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ciWaitCloudInitDone waits (bounded) for cloud-init to finish this boot
// and wants it to report done, not error.
func ciWaitCloudInitDone(t *testing.T, b *boot) {
	t.Helper()
	out, code := enterWithin(b.c, 90*time.Second, "cloud-init", "status", "--wait", "--long")
	if code != 0 || !strings.Contains(out, "status: done") {
		t.Errorf("cloud-init status --wait --long: exit %d, want status: done\n%s", code, out)
	}
}

func ciRunners(f fixture, name string) []githubtest.Runner {
	var out []githubtest.Runner
	for _, r := range f.srv.Runners("repos/acme/app") {
		if r.Name == name {
			out = append(out, r)
		}
	}
	return out
}

// ciMints counts the registration tokens minted (registrations() counts
// the runner protocol's register/remove calls).
func ciMints(srv *githubtest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/actions/runners/registration-token") {
			n++
		}
	}
	return n
}

// ciRootOnly checks that files holding secrets are root's and readable by
// root only.
func ciRootOnly(t *testing.T, c container, paths ...string) {
	t.Helper()
	for _, p := range paths {
		out, code := c.sh("stat -c '%u %a' " + p)
		if f := strings.Fields(out); code != 0 || len(f) != 2 || f[0] != "0" || !strings.HasSuffix(f[1], "00") {
			t.Errorf("%s: want owner uid 0 and mode 0?00, got: %s", p, strings.TrimSpace(out))
		}
	}
}

// ciDiagnose logs what explains a failure: cloud-init's and the service's
// own words from the running container, else the files left on its disk.
func ciDiagnose(t *testing.T, b *boot, upper, console, svcName string) {
	if b != nil && !b.exited() {
		for _, args := range [][]string{
			{"cloud-init", "status", "--long"},
			{"journalctl", "-u", "cloud-final", "--no-pager", "-n", "200"},
			{"cat", "/var/log/cloud-init-output.log"},
			{"systemctl", "status", "--no-pager", "-l", "actions.runner.*"},
			{"journalctl", "-u", svcName, "--no-pager", "-n", "100"},
			{"ls", "-la", "/tmp", "/usr/local/bin", "/etc/runnerctl"},
		} {
			out, code := enterWithin(b.c, 20*time.Second, args...)
			t.Logf("container# %s (exit %d)\n%s", strings.Join(args, " "), code, out)
		}
	} else if out, err := os.ReadFile(filepath.Join(upper, "var/log/cloud-init-output.log")); err == nil {
		t.Logf("/var/log/cloud-init-output.log (the container is down):\n%s", out)
	}
	if out, err := os.ReadFile(console); err == nil {
		s := string(out)
		if len(s) > 6000 {
			s = "…" + s[len(s)-6000:]
		}
		t.Logf("console:\n%s", s)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
