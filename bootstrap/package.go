package bootstrap

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/fetch"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/platform"
)

// Steps 3-4 of design.md: which package, and getting it into the cache.

// DownloadsAPI is what the package steps need from the GitHub client.
type DownloadsAPI interface {
	Downloads(ctx context.Context) ([]github.Download, error)
}

// PackageOptions choose the runner package.
type PackageOptions struct {
	// OS and Arch override this host's platform (GitHub's names: linux|osx|win, x64|arm|arm64).
	OS, Arch string
	// PackageFile and SHA256 give a local package instead of the API (offline).
	PackageFile, SHA256 string
}

// Validate checks the offline flags.
func (o PackageOptions) Validate() error {
	if o.PackageFile != "" && o.SHA256 == "" {
		return failure.Wrap(failure.Usage, errors.New("--package-file needs --sha256 HEX (from the release notes, or `runnerctl downloads --output json`)"))
	}
	if o.SHA256 != "" {
		if b, err := hex.DecodeString(o.SHA256); err != nil || len(b) != 32 {
			return failure.Wrap(failure.Usage, fmt.Errorf("--sha256 %q: want 64 hex digits", o.SHA256))
		}
	}
	return nil
}

// Offline reports whether no API call is needed.
func (o PackageOptions) Offline() bool { return o.PackageFile != "" }

// ResolvePackage returns the download source for the chosen platform. A
// server's package is checked before any path is built from it
// (fetch.Source.Check: a runner package's base name, 64 hex digits); one
// the server lists without a sha256 is refused unless --sha256 gives it,
// and --sha256 pins a server's package: another server sha256 is refused.
func ResolvePackage(ctx context.Context, api DownloadsAPI, o PackageOptions) (fetch.Source, error) {
	if o.Offline() {
		return fetch.Source{Filename: filepath.Base(o.PackageFile), SHA256: strings.ToLower(o.SHA256)}, nil
	}
	osName, arch, err := platform.PackagePlatform(o.OS, o.Arch)
	if err != nil {
		return fetch.Source{}, failure.Wrap(failure.Usage, err)
	}
	ds, err := api.Downloads(ctx)
	if err != nil {
		return fetch.Source{}, err
	}
	d, err := fetch.Pick(ds, osName, arch)
	if err != nil {
		return fetch.Source{}, err
	}
	src := SourceOf(d)
	if pin := strings.ToLower(o.SHA256); pin != "" {
		if src.SHA256 != "" && src.SHA256 != pin {
			return fetch.Source{}, failure.Wrap(failure.Integrity, fmt.Errorf("runner package %q: the server lists sha256 %q, --sha256 says %s: refusing it (check the release notes: the server may offer another version than the one pinned)",
				src.Filename, src.SHA256, pin))
		}
		src.SHA256 = pin
	}
	return src, src.Check()
}

// SourceOf turns a downloads-API entry into a download source, unchecked
// (the cache checks it before use; ResolvePackage before returning it).
func SourceOf(d github.Download) fetch.Source {
	return fetch.Source{URL: d.DownloadURL, Filename: d.Filename, Token: d.TempDownloadToken, SHA256: strings.ToLower(d.SHA256)}
}

// obtain puts the package in the cache (downloading or importing it) and
// feeds sink the bytes on the way (nil: none).
func obtain(ctx context.Context, c *fetch.Cache, f *fetch.Fetcher, o PackageOptions, src fetch.Source, sink func(io.Reader) error) (fetch.Entry, error) {
	return obtainUse(ctx, c, f, o, src, fetch.Use{Stream: sink})
}

func obtainUse(ctx context.Context, c *fetch.Cache, f *fetch.Fetcher, o PackageOptions, src fetch.Source, use fetch.Use) (fetch.Entry, error) {
	if o.Offline() {
		return c.Import(o.PackageFile, src, use)
	}
	return c.Fetch(ctx, f, src, use)
}

// fetchExtract puts the package in the cache (downloading it, importing
// --package-file, or finding it there, verified) and has extract read it:
// a tar.gz in the same pass as the download and the hash (what extract
// made is to be trusted only when fetchExtract returns nil); a zip, which
// is read at random, from the very *os.File that was hashed and verified,
// passed to extract as its io.Reader (archive.Extract needs the *os.File).
// A cached package is hashed and read through one open file: nothing is
// opened again by path between the check and the use.
func fetchExtract(ctx context.Context, c *fetch.Cache, f *fetch.Fetcher, o PackageOptions, src fetch.Source, extract func(io.Reader) error) (fetch.Entry, error) {
	use := fetch.Use{Stream: extract}
	if strings.HasSuffix(src.Filename, ".zip") {
		use = fetch.Use{File: func(fh *os.File) error { return extract(fh) }}
	}
	return obtainUse(ctx, c, f, o, src, use)
}
