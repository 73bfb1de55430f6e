package service_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/service"
)

// A host without an API credential (issue 12 item 2, "done means"): a JIT
// config minted by an orchestrator, a local package, a real SysV service
// as root. The runner comes online, runnerctl makes no API request, and
// the config is in no argv and in no file runnerctl wrote (the store, the
// cache, the service definition, the log); only the runner's own files
// hold what it decodes to. uninstall --force without a credential cleans
// the host and names the runner left on the server.
func TestSysVJITConfigNoCredential(t *testing.T) {
	f, h, tag, user, index, binDir := sysvRunners(t)
	name := "jit-" + tag
	enc, err := f.srv.MintJIT("repos/acme/app", name, "self-hosted", "jit")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(h.base, "jit.cfg")
	if err := os.WriteFile(cfg, []byte(enc+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir, cache := filepath.Join(h.base, "runner"), filepath.Join(h.base, "cache")
	f.srv.ResetRequests()
	out, code := noCredential(h, "install", "--url", f.srv.URL+"/acme/app", "--dir", dir, "--user", user, "--state-dir", index, "--bin-dir", binDir, "--cache-dir", cache,
		"--package-file", f.pkg.Path, "--sha256", f.pkg.SHA256, "--jitconfig-file", cfg, "--wait", "30s")
	if code != 0 {
		t.Fatalf("install: exit %d\n%s", code, out)
	}
	f.waitStatus(t, name, "online", 10*time.Second)
	if api, _ := requestCounts(f.srv); len(api) != 0 {
		t.Errorf("runnerctl made API requests on a host without a credential: %v", api)
	}
	svcName := service.Name("acme-app", name)
	diag, _ := h.sh("cat " + dir + "/_diag/Runner_invocations.log")
	if strings.Contains(diag, `argv=["configure"`) || !strings.Contains(diag, `argv=["run"`) {
		t.Errorf("want the listener run and no config.sh:\n%s", diag)
	}
	// Where the config must not be: anything runnerctl wrote or started.
	for _, p := range []string{dir + "/_diag", index, cache, binDir, h.definition(svcName), "/var/log/" + svcName + ".log", "/var/log/" + svcName + ".err"} {
		if hits, _ := h.sh("grep -rlF -e '" + strings.TrimSpace(enc) + "' " + p + " 2>/dev/null"); strings.TrimSpace(hits) != "" {
			t.Errorf("the JIT config is in %s", hits)
		}
	}
	if ps, _ := h.sh("cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '"); strings.Contains(ps, enc[:40]) {
		t.Error("the JIT config is in a process's argv")
	}
	if own, _ := h.sh("stat -c %U " + dir + "/.credentials_rsaparams"); strings.TrimSpace(own) != user {
		t.Errorf(".credentials_rsaparams belongs to %q, want the runner user %s", own, user)
	}

	out, code = noCredential(h, "uninstall", "--dir", dir, "--state-dir", index, "--force")
	if code != 0 || !strings.Contains(out, "left on the server (not removed): runner "+name) || !strings.Contains(out, "runnerctl runners delete --url "+f.srv.URL+"/acme/app ") {
		t.Fatalf("uninstall --force without a credential: exit %d\n%s", code, out)
	}
	noTrace(t, h, f, dir, "", []string{h.definition(svcName)})
}

// noCredential runs runnerctl on h with no API credential in its environment.
func noCredential(h localHost, args ...string) (string, int) {
	return h.sh(shJoin(append([]string{"env", "-u", "RUNNERCTL_ACCESS_TOKEN", "-u", "GITHUB_TOKEN", h.binary()}, args...)))
}
