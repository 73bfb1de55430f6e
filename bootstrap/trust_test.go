package bootstrap

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/platform"
	"github.com/runnerctl/runnerctl/platform/platformtest"
)

// fakeTrust is an OS trust store in memory: CA files are named by their
// fingerprint ("ca:SHA"), the OS's own roots are preTrusted.
type fakeTrust struct {
	preTrusted []string          // fingerprints the OS trusted before
	store      map[string]string // handle → fingerprint
	adds       []string          // Add calls, by file
	removes    []string          // Remove calls, by handle
	addErr     error
}

func newFakeTrust(pre ...string) *fakeTrust {
	return &fakeTrust{preTrusted: pre, store: map[string]string{}}
}

func (f *fakeTrust) Fingerprint(p string) (string, error) {
	sum, ok := strings.CutPrefix(filepath.Base(p), "ca:") // install makes --ca-file absolute
	if !ok {
		return "", errors.New(p + ": holds no PEM certificate")
	}
	return sum, nil
}

func (f *fakeTrust) TrustedByOS(p string) (bool, error) {
	sum, err := f.Fingerprint(p)
	return slices.Contains(f.preTrusted, sum), err
}

func (f *fakeTrust) Add(p string) (string, error) {
	f.adds = append(f.adds, p)
	if f.addErr != nil {
		return "", f.addErr
	}
	sum, err := f.Fingerprint(p)
	h := "/anchors/runnerctl-" + sum + ".crt"
	f.store[h] = sum
	return h, err
}

func (f *fakeTrust) Remove(h string) error {
	f.removes = append(f.removes, h)
	delete(f.store, h)
	return nil
}

// trustHost is the trusted store's records as the lead's Record.CA
// field would hold them: dir → CA.
type trustHost struct {
	ts   *fakeTrust
	recs map[string]*TrustedCA
	log  *slog.Logger
}

func (h *trustHost) records() ([]Record, func(Record) *TrustedCA) {
	var recs []Record
	for d := range h.recs {
		recs = append(recs, Record{Dir: d})
	}
	return recs, func(r Record) *TrustedCA { return h.recs[r.Dir] }
}

// install runs what Install does for --ca-file in dir; with fail, the
// install fails after trusting the CA and rolls back.
func (h *trustHost) install(t *testing.T, dir, caFile string, fail bool) *TrustedCA {
	t.Helper()
	recs, caOf := h.records()
	ca, added, err := trustCA(h.ts, caFile, otherCAs(recs, dir, caOf), h.log)
	if err != nil {
		t.Fatalf("install %s: %v", dir, err)
	}
	if fail {
		if added {
			recs, caOf := h.records() // at rollback time, without dir's record
			if _, err := untrustCA(h.ts, ca, otherCAs(recs, dir, caOf), h.log); err != nil {
				t.Fatal(err)
			}
		}
		return nil
	}
	h.recs[dir] = ca
	return ca
}

func (h *trustHost) uninstall(t *testing.T, dir string) bool {
	t.Helper()
	ca := h.recs[dir]
	delete(h.recs, dir) // uninstall removes the CA once the record is gone
	recs, caOf := h.records()
	removed, err := untrustCA(h.ts, ca, otherCAs(recs, dir, caOf), h.log)
	if err != nil {
		t.Fatal(err)
	}
	return removed
}

func newTrustHost(pre ...string) *trustHost {
	return &trustHost{ts: newFakeTrust(pre...), recs: map[string]*TrustedCA{}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func needPrivileged(t *testing.T) {
	if !platform.Privileged() && platform.RunsAsUser() {
		t.Skip("skipped: as a user, install leaves the OS trust store alone")
	}
}

// Two runners with one CA: added once, kept while one runner needs it,
// removed with the last, whichever goes first.
func TestTrustSharedCA(t *testing.T) {
	needPrivileged(t)
	for _, order := range [][]string{{"/r/a", "/r/b"}, {"/r/b", "/r/a"}} {
		h := newTrustHost()
		a := h.install(t, "/r/a", "ca:aaaa", false)
		b := h.install(t, "/r/b", "ca:aaaa", false)
		if len(h.ts.adds) != 1 || *a != *b || a.Installed == "" {
			t.Fatalf("adds %v, records %+v %+v: want one add, one shared record", h.ts.adds, a, b)
		}
		if h.uninstall(t, order[0]) || len(h.ts.removes) != 0 {
			t.Fatalf("uninstall of %s removed the CA %v that %s needs", order[0], h.ts.removes, order[1])
		}
		if !h.uninstall(t, order[1]) || !slices.Equal(h.ts.removes, []string{a.Installed}) || len(h.ts.store) != 0 {
			t.Fatalf("the last uninstall: removes %v, store %v", h.ts.removes, h.ts.store)
		}
	}
}

// Two CAs are two references.
func TestTrustTwoCAs(t *testing.T) {
	needPrivileged(t)
	h := newTrustHost()
	a := h.install(t, "/r/a", "ca:aaaa", false)
	b := h.install(t, "/r/b", "ca:bbbb", false)
	h.install(t, "/r/c", "ca:bbbb", false)
	if a.Installed == b.Installed || len(h.ts.adds) != 2 {
		t.Fatalf("adds %v", h.ts.adds)
	}
	if !h.uninstall(t, "/r/a") || !slices.Equal(h.ts.removes, []string{a.Installed}) {
		t.Fatalf("removes %v, want only a's", h.ts.removes)
	}
	if h.uninstall(t, "/r/b") || !h.uninstall(t, "/r/c") || len(h.ts.store) != 0 {
		t.Fatalf("removes %v, store %v", h.ts.removes, h.ts.store)
	}
	// A runner without --ca-file removes nothing.
	h.recs["/r/d"] = nil
	if h.uninstall(t, "/r/d") {
		t.Fatal("a runner without a CA removed one")
	}
}

// A CA the OS trusted before runnerctl is never added nor removed, also
// when a second runner shares its record.
func TestTrustPreTrustedCA(t *testing.T) {
	needPrivileged(t)
	h := newTrustHost("cccc")
	a := h.install(t, "/r/a", "ca:cccc", false)
	h.install(t, "/r/b", "ca:cccc", false)
	if a.Installed != "" || len(h.ts.adds) != 0 {
		t.Fatalf("record %+v, adds %v", a, h.ts.adds)
	}
	h.uninstall(t, "/r/a")
	if h.uninstall(t, "/r/b") || len(h.ts.removes) != 0 {
		t.Fatalf("removes %v", h.ts.removes)
	}
}

// A failed install's rollback removes the CA it added, not one another
// runner had added.
func TestTrustRollback(t *testing.T) {
	needPrivileged(t)
	h := newTrustHost()
	h.install(t, "/r/a", "ca:aaaa", true)
	if len(h.ts.adds) != 1 || len(h.ts.removes) != 1 || len(h.ts.store) != 0 {
		t.Fatalf("adds %v, removes %v, store %v", h.ts.adds, h.ts.removes, h.ts.store)
	}
	a := h.install(t, "/r/a", "ca:aaaa", false)
	h.install(t, "/r/b", "ca:aaaa", true) // shares: nothing added, nothing to undo
	if len(h.ts.adds) != 2 || len(h.ts.removes) != 1 || h.ts.store[a.Installed] == "" {
		t.Fatalf("adds %v, removes %v, store %v", h.ts.adds, h.ts.removes, h.ts.store)
	}
}

// Errors: a bad CA file is a usage error; a host without a trust store
// tool too, naming the package; another failure of the tool is passed on.
func TestTrustErrors(t *testing.T) {
	needPrivileged(t)
	h := newTrustHost()
	if _, _, err := trustCA(h.ts, "/etc/passwd", nil, h.log); failure.KindOf(err) != failure.Usage {
		t.Errorf("a file that is not a CA: %v (kind %v), want usage", err, failure.KindOf(err))
	}
	h.ts.addErr = fmt.Errorf("add CA to the OS trust store: %w", platform.ErrNoTrustStore)
	_, _, err := trustCA(h.ts, "ca:aaaa", nil, h.log)
	if failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), "ca-certificates") {
		t.Errorf("no trust store tool: %v (kind %v)", err, failure.KindOf(err))
	}
	h.ts.addErr = errors.New("update-ca-certificates: exit status 1")
	if _, _, err := trustCA(h.ts, "ca:aaaa", nil, h.log); err == nil || failure.KindOf(err) == failure.Usage {
		t.Errorf("a failing tool: %v (kind %v)", err, failure.KindOf(err))
	}
	if _, err := untrustCA(h.ts, &TrustedCA{SHA256: "x"}, nil, h.log); err != nil || len(h.ts.removes) != 0 {
		t.Errorf("a CA without a handle: %v, removes %v", err, h.ts.removes)
	}
}

func TestOtherCAs(t *testing.T) {
	cas := map[string]*TrustedCA{"/a": {SHA256: "1", Installed: "h1"}, "/b": nil, "/c": {SHA256: "2"}, "/d": {}}
	recs := []Record{{Dir: "/a"}, {Dir: "/b"}, {Dir: "/c"}, {Dir: "/d"}}
	got := otherCAs(recs, "/a", func(r Record) *TrustedCA { return cas[r.Dir] })
	if len(got) != 1 || got[0].SHA256 != "2" {
		t.Errorf("otherCAs = %+v", got)
	}
}

// installCA and removeUnusedCA against a real trusted store: the
// rollback of a failed install, a runner registered again (its own old
// record references the CA), two runners, uninstall in either order.
func TestInstallCAStore(t *testing.T) {
	needPrivileged(t)
	st := Store{Dir: filepath.Join(platformtest.RootOnlyTempDir(t), "state")}
	ts := newFakeTrust()
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	cas := map[string]*TrustedCA{} // what Record.CA would hold
	caOf := func(r Record) *TrustedCA { return cas[r.Dir] }
	put := func(dir string, ca *TrustedCA) {
		t.Helper()
		cas[dir] = ca
		if err := st.Put(Record{Dir: dir}); err != nil {
			t.Fatal(err)
		}
	}
	del := func(dir string) *TrustedCA {
		t.Helper()
		ca := cas[dir]
		delete(cas, dir)
		if err := st.Delete(dir); err != nil {
			t.Fatal(err)
		}
		return ca
	}

	// A failed install: its rollback forgets the record, then the CA.
	rb := &rollback{log: lg}
	ca, err := installCA(ts, st, "ca:aaaa", "/r/a", caOf, rb, lg)
	if err != nil || ca == nil || len(ts.adds) != 1 {
		t.Fatalf("installCA = %+v, %v; adds %v", ca, err, ts.adds)
	}
	put("/r/a", ca)
	rb.push("forget /r/a", func() error { del("/r/a"); return nil })
	rb.run()
	if len(ts.store) != 0 {
		t.Fatalf("after the rollback the OS store holds %v", ts.store)
	}

	// Installed; then registered again over its own record: shared with
	// itself, and a failure of that re-run removes nothing.
	a, err := installCA(ts, st, "ca:aaaa", "/r/a", caOf, &rollback{log: lg}, lg)
	if err != nil {
		t.Fatal(err)
	}
	put("/r/a", a)
	rb = &rollback{log: lg}
	again, err := installCA(ts, st, "ca:aaaa", "/r/a", caOf, rb, lg)
	if err != nil || *again != *a || len(rb.steps) != 0 || len(ts.adds) != 2 {
		t.Fatalf("re-run: %+v, %v, %d rollback steps, adds %v", again, err, len(rb.steps), ts.adds)
	}

	// A second runner; uninstall of the first keeps the CA, of the last removes it.
	b, err := installCA(ts, st, "ca:aaaa", "/r/b", caOf, &rollback{log: lg}, lg)
	if err != nil || *b != *a {
		t.Fatalf("second runner: %+v, %v", b, err)
	}
	put("/r/b", b)
	if err := removeUnusedCA(ts, st, del("/r/a"), "/r/a", caOf, lg); err != nil || len(ts.store) != 1 {
		t.Fatalf("first uninstall: %v, store %v", err, ts.store)
	}
	if err := removeUnusedCA(ts, st, del("/r/b"), "/r/b", caOf, lg); err != nil || len(ts.store) != 0 {
		t.Fatalf("last uninstall: %v, store %v", err, ts.store)
	}
}
