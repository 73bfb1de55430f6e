package bootstrap

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/platform"
)

// FuzzStoreRead: whatever runners.json holds, the trusted store's reader
// either refuses it or returns records fit to decide with (clean
// absolute directories, user names that are one plain word, service
// names install gives, count groups that hold their directory), which
// the store writes back and reads again unchanged.
func FuzzStoreRead(f *testing.F) {
	made := time.Date(2026, 11, 25, 9, 46, 0, 0, time.UTC)
	real := storeData{SchemaVersion: 1, Runnerctl: &BinaryRecord{Path: "/usr/local/bin/runnerctl", Placed: true}, CreatedUsers: []string{"runner"},
		Runners: []Record{
			{Dir: rootedDir("/opt/actions-runner"), Package: PackageRecord{Filename: "actions-runner-linux-x64-2.336.0.tar.gz", SHA256: strings.Repeat("ab", 32), URL: "https://github.com/actions/runner/releases/download/v2.336.0/actions-runner-linux-x64-2.336.0.tar.gz"},
				User: "runner", MadeAt: made, Runnerctl: "v1.0.0", CA: &TrustedCA{SHA256: strings.Repeat("cd", 32), Installed: "/usr/local/share/ca-certificates/runnerctl-cd.crt"},
				Runner: &RunnerRecord{URL: "https://github.com/acme/app", APIURL: "https://api.github.com/", Scope: "repository", Name: "ci-1", ID: 42, Labels: []string{"gpu"},
					Settings: &RegistrationSettings{Group: "Default", Work: "_work"}, Service: "actions.runner.acme-app.ci-1", InstalledAt: made,
					Ephemeral: true, OnEphemeralExit: platform.EphemeralShutdown, ShutdownCommand: "shutdown -h now"}},
			{Dir: rootedDir("/srv/runners/ci-2"), Package: PackageRecord{Filename: "actions-runner-osx-arm64-2.336.0.tar.gz", SHA256: strings.Repeat("ef", 32)}, User: "builder", MadeAt: made,
				Count:  &CountMember{Dir: rootedDir("/srv/runners"), Name: "ci", Index: 2},
				Runner: &RunnerRecord{URL: "https://ghes.example.com/acme", Scope: "organization", Name: "ci-2", ID: 7, Service: "actions.runner.acme.ci-2", Launchd: platform.LaunchAgent, Draining: true}},
			{Dir: rootedDir("/opt/prepared"), User: `CORP\runner`, Pristine: true},
		}}
	b, err := json.MarshalIndent(real, "", "  ")
	if err != nil {
		f.Fatal(err)
	}
	// The real-shaped seed must pass, or the fuzzer starts from refusals only.
	seedStore := Store{Dir: f.TempDir()}
	if err := os.WriteFile(seedStore.path(), b, 0o600); err != nil {
		f.Fatal(err)
	}
	if d, err := seedStore.read(); err != nil || len(d.Runners) != 3 {
		f.Fatalf("the real-shaped store: %d records, %v", len(d.Runners), err)
	}
	for _, s := range []string{
		string(b),
		"\ufeff" + `{"schema_version":1,"runners":[{"dir":"/opt/a","made_at":"2026-01-02T03:04:05.5+01:00"}]}`,
		`{"runners":[{"dir":"/opt/a/../b"}]}`,
		`{"runners":[{"dir":"/opt/a","user":"../root"}]}`,
		`{"runners":[{"dir":"/opt/a","user":"DOM\\us\u007fer"}]}`,
		`{"runners":[{"dir":"/opt/a","runner":{"service":"actions.runner.x/../../etc/systemd/system/evil"}}]}`,
		`{"runners":[{"dir":"/opt/g/r-1","count":{"dir":"/opt/g","name":"r","index":1000000}}]}`,
		`{"runners":[{"dir":"/opt/a","runner":{"launchd":"daemon"}}]}`,
		`{"runners":null,"created_users":["root"]}`,
		`{}`,
		`[]`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := Store{Dir: t.TempDir()}
		if err := os.WriteFile(filepath.Join(s.Dir, StoreFile), data, 0o600); err != nil {
			t.Fatal(err)
		}
		d, err := s.read()
		if err != nil {
			return
		}

		for _, r := range d.Runners {
			checkTrustedRecord(t, r)
		}
		// Written back by an update that changes nothing, read the same.
		if err := s.update(func(*storeData) error { return nil }); err != nil {
			t.Fatalf("a store read cannot be written back: %v", err)
		}
		again, err := s.read()
		if err != nil {
			t.Fatalf("the store written back is refused: %v", err)
		}
		sort.SliceStable(d.Runners, func(i, j int) bool { return d.Runners[i].Dir < d.Runners[j].Dir })
		d.SchemaVersion = 1
		want, _ := json.Marshal(d)
		got, _ := json.Marshal(again)
		if !bytes.Equal(got, want) {
			t.Fatalf("written back and read:\n%s\nwas\n%s", got, want)
		}
	})
}

// rootedDir is the absolute directory p (slashed, from the root) on this OS.
func rootedDir(p string) string {
	if runtime.GOOS == "windows" {
		return `C:` + filepath.FromSlash(p)
	}
	return p
}

var serviceNameChars = regexp.MustCompile(`^actions\.runner\.[0-9A-Za-z._-]+$`)

// checkTrustedRecord asserts what root may rely on in an accepted record.
func checkTrustedRecord(t *testing.T, r Record) {
	t.Helper()
	if !filepath.IsAbs(r.Dir) || filepath.Clean(r.Dir) != r.Dir {
		t.Fatalf("accepted directory %q", r.Dir)
	}
	if u := r.User; u != "" && (strings.HasPrefix(u, "-") || strings.ContainsRune(u, '/') || strings.ContainsFunc(u, platform.ControlRune)) {
		t.Fatalf("accepted user %q", u)
	}
	if rr := r.Runner; rr != nil && rr.Service != "" && (!serviceNameChars.MatchString(rr.Service) || strings.ContainsAny(rr.Service, `/\`)) {
		t.Fatalf("accepted service %q", rr.Service)
	}
	if c := r.Count; c != nil && (filepath.Dir(r.Dir) != c.Dir || c.Index < 1 || c.Index > MaxCount) {
		t.Fatalf("accepted count group %+v for %s", *c, r.Dir)
	}
}
