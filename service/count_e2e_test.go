package service_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/service"
)

// install --count 3 on this SysV host, as root: three runners, three
// real services, all online; the shared extraction's time is logged
// beside three separate ones (prepare, the same verified extraction per
// directory); --count 2 removes the third service; uninstall --dir of
// the group removes the rest.
func TestSysVCount(t *testing.T) {
	f, h, tag, user, index, binDir := sysvRunners(t)
	group, cache, name := filepath.Join(h.base, "group"), filepath.Join(h.base, "cache"), "n-"+tag
	install := func(count int) (res struct {
		Runners []struct {
			Name, Dir, Service, Status string
			ID                         int64
		}
		Removed   []struct{ Name, Dir string }
		Extracted time.Duration `json:"extracted_ns"`
		Copied    time.Duration `json:"copied_ns"`
		Copies    int
	}) {
		t.Helper()
		start := time.Now()
		out, code := h.runnerctl("install", "--url", f.srv.URL+"/acme/app", "--name", name, "--count", fmt.Sprint(count), "--dir", group, "--user", user,
			"--state-dir", index, "--bin-dir", binDir, "--cache-dir", cache, "--wait", "60s", "--output", "json", "--log-level", "warn")
		if code != 0 {
			t.Fatalf("install --count %d: exit %d\n%s", count, code, out)
		}
		if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &res); err != nil {
			t.Fatalf("install --count %d output: %v\n%s", count, err, out)
		}
		t.Logf("install --count %d took %s", count, time.Since(start).Round(time.Millisecond))
		return res
	}
	res := install(3)
	if len(res.Runners) != 3 || res.Copies != 2 {
		t.Fatalf("install --count 3: %+v", res)
	}
	for i, r := range res.Runners {
		want := fmt.Sprintf("%s-%d", name, i+1)
		if r.Name != want || r.Dir != filepath.Join(group, want) || r.Status != "online" || r.Service != service.Name("acme-app", want) {
			t.Errorf("runner %d: %+v", i+1, r)
		}
		if out, code := h.sh("/etc/init.d/" + r.Service + " status"); code != 0 {
			t.Errorf("service %s: exit %d %s", r.Service, code, out)
		}
		f.waitStatus(t, want, "online", 30*time.Second)
	}
	shared := res.Extracted + res.Copied

	// Three separate verified extractions of the same cached package.
	sepIndex := filepath.Join(h.base, "sep-index")
	start := time.Now()
	for i := range 3 {
		if out, code := h.runnerctl("prepare", "--url", f.srv.URL+"/acme/app", "--dir", filepath.Join(h.base, fmt.Sprintf("sep-%d", i)), "--user", user,
			"--state-dir", sepIndex, "--cache-dir", cache, "--log-level", "warn"); code != 0 {
			t.Fatalf("prepare: %d %s", code, out)
		}
	}
	t.Logf("package %s: one verified extraction %s + %d copies %s = %s; three separate prepare runs (process, API call, cache check, extraction each) %s",
		f.pkg.Filename, res.Extracted.Round(time.Millisecond), res.Copies, res.Copied.Round(time.Millisecond), shared.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	for i := range 3 {
		if out, code := h.runnerctl("uninstall", "--dir", filepath.Join(h.base, fmt.Sprintf("sep-%d", i)), "--state-dir", sepIndex); code != 0 {
			t.Errorf("uninstall the prepared dir: %d %s", code, out)
		}
	}

	// status of the group, by its --dir.
	if out, code := h.runnerctl("status", "--dir", group, "--state-dir", index); code != 0 || strings.Count(out, "server:     online") != 3 {
		t.Errorf("status --dir %s: exit %d\n%s", group, code, out)
	}

	res = install(2)
	third := service.Name("acme-app", name+"-3")
	if len(res.Removed) != 1 || res.Removed[0].Name != name+"-3" {
		t.Fatalf("install --count 2: %+v", res)
	}
	if _, err := os.Stat("/etc/init.d/" + third); err == nil {
		t.Errorf("%s is left after --count 2", third)
	}
	if _, err := os.Stat(filepath.Join(group, name+"-3")); err == nil {
		t.Errorf("the third runner's directory is left after --count 2")
	}

	if out, code := h.runnerctl("uninstall", "--dir", group, "--state-dir", index); code != 0 || strings.Count(out, "uninstalled runner") != 2 {
		t.Fatalf("uninstall --dir %s: exit %d\n%s", group, code, out)
	}
	for i := 1; i <= 2; i++ {
		if _, err := os.Stat("/etc/init.d/" + service.Name("acme-app", fmt.Sprintf("%s-%d", name, i))); err == nil {
			t.Errorf("service %d left after uninstall", i)
		}
	}
	if rs := f.srv.Runners("repos/acme/app"); len(rs) != 0 {
		t.Errorf("registrations left: %+v", rs)
	}
}
