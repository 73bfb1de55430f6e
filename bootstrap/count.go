package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/fetch"
)

// MaxCount bounds install --count: each runner is a listener, a service
// and a copy of the package (about 200 MB extracted).
const MaxCount = 64

// CountResult says what InstallCount did.
type CountResult struct {
	Runners []InstallResult   `json:"runners"`
	Removed []UninstallResult `json:"removed,omitempty"`
	// Extracted is how long the one verified extraction took (download
	// included when the cache had no copy), Copied how long the Copies
	// copies of it took; zero when no runner needed a fresh tree.
	Extracted time.Duration `json:"extracted_ns,omitempty"`
	Copied    time.Duration `json:"copied_ns,omitempty"`
	Copies    int           `json:"copies,omitempty"`
}

// countName is runner i's name, and its directory's under the group's.
func countName(name string, i int) string { return fmt.Sprintf("%s-%d", name, i) }

// InstallCount installs o.Count runners on this host: NAME-1..NAME-N in
// DIR/NAME-1..DIR/NAME-N, one service each. Each is a whole Install (its
// own registration, record, rollback); they share one resolution of the
// package, one download (the cache) and one verified extraction, which
// each runner that needs a fresh tree gets a copy of (sharedTree). A
// re-run with the same N changes nothing (labels are reconciled, as for
// one runner); with a larger N it adds runners, with a smaller one it
// uninstalls NAME-(N+1) and above. A failure stops at that runner: it is
// rolled back, those before it stay installed, and a re-run goes on.
func InstallCount(ctx context.Context, d Deps, o InstallOptions) (res CountResult, err error) {
	if o.Count < 1 || o.Count > MaxCount {
		return res, failure.Wrap(failure.Usage, fmt.Errorf("--count %d: give 1 to %d runners", o.Count, MaxCount))
	}
	if o.Preminted.JITConfigFile != "" {
		return res, failure.Wrap(failure.Usage, errors.New("--count with --jitconfig-file: a JIT config registers one runner: give one file per runner (one install each), or --jit to mint them"))
	}
	base, err := runnerDir(o.Dir)
	if err != nil {
		return res, err
	}
	if o.Runner.Name == "" {
		if o.Runner.Name, err = os.Hostname(); err != nil {
			return res, failure.Wrap(failure.Usage, errors.New("--name: the host name is unknown, give a runner name"))
		}
	}
	members, err := countGroup(d.Store, base, o.Runner.Name)
	if err != nil {
		return res, err
	}
	var src fetch.Source
	if d.API != nil {
		src, err = ResolvePackage(ctx, d.API, o.Package)
	} else {
		src, err = resolveWithoutAPI(o.Package, nil)
	}
	if err != nil {
		return res, err
	}
	sh := &sharedTree{src: src}
	defer func() {
		sh.discard()
		res.Extracted, res.Copied, res.Copies = sh.extracted, sh.copied, sh.copies
		if sh.copies > 0 {
			d.Log.Info("install --count: one verified extraction shared", "extracted", sh.extracted.Round(time.Millisecond),
				"copies", sh.copies, "copied", sh.copied.Round(time.Millisecond))
		}
	}()
	for i := 1; i <= o.Count; i++ {
		oi := o
		oi.Dir, oi.Runner.Name = filepath.Join(base, countName(o.Runner.Name, i)), countName(o.Runner.Name, i)
		oi.count, oi.shared = &CountMember{Dir: base, Name: o.Runner.Name, Index: i}, sh
		sh.last = i == o.Count
		if oi.MetricsAddr, err = countMetricsAddr(o.MetricsAddr, i); err != nil {
			return res, err
		}
		r, err := Install(ctx, d, oi)
		if err != nil {
			return res, fmt.Errorf("install --count: runner %d of %d (%s): %w", i, o.Count, oi.Runner.Name, err)
		}
		res.Runners = append(res.Runners, r)
	}
	for _, m := range slices.Backward(members) {
		if m.Count.Index <= o.Count {
			continue
		}
		if m.Runner != nil && m.Runner.URL != o.Target.URL {
			return res, failure.Wrap(failure.Usage, fmt.Errorf("install --count: %s holds runner %q for %s, not %s: run `runnerctl uninstall --dir %s`", m.Dir, m.Runner.Name, m.Runner.URL, o.Target.URL, m.Dir))
		}
		d.Log.Info("install --count: removing a runner above the count", "dir", m.Dir, "count", o.Count)
		u, err := Uninstall(ctx, d, UninstallOptions{Dir: m.Dir})
		if err != nil {
			return res, fmt.Errorf("install --count %d: remove %s: %w", o.Count, m.Dir, err)
		}
		res.Removed = append(res.Removed, u)
	}
	return res, nil
}

// countGroup returns the records of the group NAME in base, by index. A
// runner installed in base itself, or another group there, is refused.
func countGroup(st Store, base, name string) ([]Record, error) {
	recs, err := st.Records()
	if err != nil {
		return nil, err
	}
	var out []Record
	for _, r := range recs {
		switch {
		case r.Dir == base:
			what := "a runner installed without --count"
			if r.Runner == nil {
				what = "a package prepare extracted (the runners of a group are in DIR/NAME-i)"
			}
			return nil, failure.Wrap(failure.Usage, fmt.Errorf("install --count: %s holds %s: run `runnerctl uninstall --dir %s` first, or choose another --dir", base, what, base))
		case r.Count == nil || r.Count.Dir != base:
		case r.Count.Name != name:
			return nil, failure.Wrap(failure.Usage, fmt.Errorf("install --count: %s holds the runners %s-1... (install --count --name %s): give that --name, or run `runnerctl uninstall --dir %s` first",
				base, r.Count.Name, r.Count.Name, base))
		default:
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Record) int { return a.Count.Index - b.Count.Index })
	return out, nil
}

// groupDirs is dir, or the directories of the install --count group in
// dir when no runner is installed in dir itself (uninstall and status
// --dir DIR).
func groupDirs(st Store, dir string) ([]string, error) {
	canon, err := runnerDir(dir)
	if err != nil {
		return []string{dir}, nil // the command says what is wrong with it
	}
	recs, err := st.Records()
	var out []string
	for _, r := range recs {
		if r.Dir == canon {
			return []string{dir}, nil
		}
		if r.Count != nil && r.Count.Dir == canon {
			out = append(out, r.Dir)
		}
	}
	if len(out) == 0 {
		out = []string{dir}
	}
	return out, err
}

// sharedTree is the package a count group's runners get their trees
// from: extracted and verified once, on the first runner that needs a
// fresh tree, into a root-only staging directory that is never given to
// the runner user; each runner's tree is a copy of it (its own inodes:
// hard links would let a job in one runner change every runner's
// binaries, and the shared tree, through the same file). The last runner
// of the count takes the tree itself.
type sharedTree struct {
	src  fetch.Source
	last bool

	tree              staged
	err               error
	made              bool
	extracted, copied time.Duration
	copies            int
}

// get returns a staged tree for dir.
func (sh *sharedTree) get(ctx context.Context, d Deps, o InstallOptions) (staged, error) {
	if !sh.made {
		start := time.Now()
		sh.tree, sh.err = stageSource(ctx, d, o.Package, sh.src, o.Dir)
		sh.made, sh.extracted = true, time.Since(start)
	}
	if sh.err != nil {
		return staged{}, sh.err
	}
	if sh.tree.tree == nil {
		return staged{}, errors.New("install --count: the shared extraction was handed to the last runner already")
	}
	if sh.last {
		s := sh.tree
		sh.tree.tree = nil // Install commits or discards it
		return s, nil
	}
	start := time.Now()
	t, err := sh.tree.tree.CopyTo(o.Dir)
	if err != nil {
		return staged{}, fmt.Errorf("install: %w", err)
	}
	sh.copied += time.Since(start)
	sh.copies++
	return staged{tree: t, pkg: sh.tree.pkg}, nil
}

func (sh *sharedTree) discard() {
	if sh.tree.tree != nil {
		sh.tree.tree.Discard()
	}
}

// source is the package o installs: the count group's, resolved once,
// or resolved now.
func (o InstallOptions) source(ctx context.Context, api DownloadsAPI) (fetch.Source, error) {
	if o.shared != nil {
		return o.shared.src, nil
	}
	return ResolvePackage(ctx, api, o.Package)
}

// stageTree stages the package for o.Dir (known: the store has a record
// of it): a copy of the count group's shared extraction, or its own.
func (o InstallOptions) stageTree(ctx context.Context, d Deps, src fetch.Source, known bool) (staged, error) {
	if o.shared == nil {
		return stageFor(ctx, d, o.Package, src, o.Dir, known, "install")
	}
	if !known {
		if err := emptyOrMissing(o.Dir, "install"); err != nil {
			return staged{}, err
		}
	}
	return o.shared.get(ctx, d, o)
}

// preflightDir is the directory doctor's checks look at: --dir, or with
// --count the group's first runner's.
func (o InstallOptions) preflightDir() string {
	if o.Count == 0 || o.Dir == "" {
		return o.Dir
	}
	name := o.Runner.Name
	if name == "" {
		name, _ = os.Hostname()
	}
	return filepath.Join(o.Dir, countName(name, 1))
}

// countMetricsAddr is runner i's --metrics-addr in a --count group: one
// port each, from the given one up (127.0.0.1:9252 → runner 2 on 9253).
func countMetricsAddr(addr string, i int) (string, error) {
	if addr == "" || addr == "off" {
		return addr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	p, perr := strconv.Atoi(port)
	if err != nil || perr != nil || p <= 0 || p+i-1 > 65535 {
		return "", failure.Wrap(failure.Usage, fmt.Errorf("install --count: --metrics-addr %q: want HOST:PORT with a port number low enough for every runner", addr))
	}
	return net.JoinHostPort(host, strconv.Itoa(p+i-1)), nil
}
