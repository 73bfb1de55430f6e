package bootstrap

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/fetch"
)

// The runner version policy (issue #12 item 8). Since September 2026
// GitHub refuses to register a runner below its minimum version, and stops
// sending jobs to one that is more than 30 days behind the newest release.
// The newest the server offers is its downloads list (one package per
// platform); install and update compare it with the package they would
// use or have.

// compareVersions compares dotted runner versions ("2.336.0") field by
// field as numbers: -1, 0 or 1. A field that is not a number compares as
// 0, so a malformed version is never "newer" by accident.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		x, y := versionField(as, i), versionField(bs, i)
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func versionField(fields []string, i int) int {
	if i >= len(fields) {
		return 0
	}
	n, err := strconv.Atoi(fields[i])
	if err != nil {
		return 0
	}
	return n
}

// newestOffered is the version of the package the server offers for this
// host's (or o's) platform; "" with a reason when it cannot be known:
// no API credential (no call is made) or the call failed.
func newestOffered(ctx context.Context, d Deps, o PackageOptions) (version, why string) {
	if d.API == nil {
		return "", "no API credential: the server is not asked"
	}
	src, err := ResolvePackage(ctx, d.API, PackageOptions{OS: o.OS, Arch: o.Arch})
	if err != nil {
		return "", err.Error()
	}
	return packageVersion(src.Filename), ""
}

// warnOldPackageFile warns when --package-file is older than the newest
// runner the server offers: GitHub refuses a runner below its minimum
// version and stops sending jobs to one more than 30 days behind. Without
// an API credential nothing is compared (and nothing is asked).
func warnOldPackageFile(ctx context.Context, d Deps, o PackageOptions, src fetch.Source) {
	if !o.Offline() {
		return
	}
	have := packageVersion(src.Filename)
	newest, why := newestOffered(ctx, d, o)
	if newest == "" {
		d.Log.Debug("--package-file: its version is not compared with the server's newest", "package", have, "why", why)
		return
	}
	if compareVersions(have, newest) < 0 {
		d.Log.Warn(fmt.Sprintf("--package-file holds runner %s, older than the %s the server offers: GitHub refuses runners below its minimum version and stops sending jobs to a runner more than 30 days behind; use the newest package", have, newest),
			"package", have, "server", newest)
	}
}

// logPackageChange says, in one line, that the package of a prepared (or
// installed) tree is replaced by another: "runner package 2.335.0 →
// 2.336.0".
func logPackageChange(log *slog.Logger, dir string, from PackageRecord, to fetch.Source) {
	if from.Filename == "" || from.SHA256 == to.SHA256 {
		return
	}
	fv, tv := packageVersion(from.Filename), packageVersion(to.Filename)
	log.Info(fmt.Sprintf("runner package %s → %s", fv, tv), "dir", dir, "from", from.Filename, "to", to.Filename)
}

// keepNewerPrepared is the package install uses on a prepared tree: the
// server's, unless the prepared one is newer (a golden image baked against
// a newer server or mirror than the one it boots against, or a server
// that lists an old release): that is kept, as update never downgrades a
// runner, with a warning naming both versions. --package-file and a
// count group's shared package are used as given.
func keepNewerPrepared(log *slog.Logger, o InstallOptions, rec *Record, src fetch.Source) fetch.Source {
	if rec == nil || !rec.Pristine || rec.Package.SHA256 == "" || o.Package.Offline() || o.shared != nil {
		return src
	}
	have, offered := packageVersion(rec.Package.Filename), packageVersion(src.Filename)
	if compareVersions(offered, have) >= 0 {
		return src
	}
	log.Warn(fmt.Sprintf("the prepared runner package %s is newer than the %s the server offers: kept (runnerctl does not downgrade a runner)", have, offered),
		"dir", rec.Dir, "prepared", rec.Package.Filename, "server", src.Filename)
	return fetch.Source{Filename: rec.Package.Filename, SHA256: rec.Package.SHA256}
}

// warnDisableUpdate says what --disableupdate costs now.
func warnDisableUpdate(log *slog.Logger, dir string) {
	log.Warn("--disableupdate: GitHub stops sending jobs to a runner more than 30 days behind its newest release and refuses one below its minimum version: run `runnerctl update --dir " + dir + "` (or `--all`) at least monthly, e.g. from a timer")
}

// jitter waits a random time in [0, max) before the first API call (a
// fleet that boots at once spreads its requests); 0 waits nothing. The
// wait ends early when ctx is done.
func jitter(ctx context.Context, max time.Duration, log *slog.Logger) error {
	if max <= 0 {
		return nil
	}
	wait := rand.N(max)
	log.Info("--jitter: waiting a random time before the first API call", "wait", wait.Round(time.Millisecond), "jitter", max)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("jitter: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}

// warnBehind, on a re-run over an installed runner, says when its package
// is older than the server's newest: a runner with --disableupdate needs
// `runnerctl update`; one without updates itself (its package record
// then lags behind what it runs).
func warnBehind(ctx context.Context, d Deps, o PackageOptions, rec *Record) {
	if o.Offline() || rec.Runner == nil {
		return
	}
	have := packageVersion(rec.Package.Filename)
	newest, why := newestOffered(ctx, d, o)
	switch {
	case newest == "":
		d.Log.Debug("the installed package is not compared with the server's newest", "package", have, "why", why)
	case compareVersions(have, newest) >= 0:
	case rec.Runner.Settings != nil && rec.Runner.Settings.DisableUpdate:
		d.Log.Warn(fmt.Sprintf("runner package %s is older than the %s the server offers and the runner does not update itself (--disableupdate): run `runnerctl update --dir %s`", have, newest, rec.Dir),
			"package", have, "server", newest)
	default:
		d.Log.Info(fmt.Sprintf("runner package %s is older than the %s the server offers: the runner updates itself (`runnerctl update --dir %s` replaces the package now)", have, newest, rec.Dir),
			"package", have, "server", newest)
	}
}
