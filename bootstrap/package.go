package bootstrap

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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

// ResolvePackage returns the download source for the chosen platform.
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
	return SourceOf(d), nil
}

// SourceOf turns a downloads-API entry into a download source.
func SourceOf(d github.Download) fetch.Source {
	return fetch.Source{URL: d.DownloadURL, Filename: d.Filename, Token: d.TempDownloadToken, SHA256: strings.ToLower(d.SHA256)}
}

// obtain puts the package in the cache (downloading or importing it) and
// feeds sink the bytes on the way.
func obtain(ctx context.Context, c *fetch.Cache, f *fetch.Fetcher, o PackageOptions, src fetch.Source, sink func(io.Reader) error) (fetch.Entry, error) {
	if o.Offline() {
		return c.Import(o.PackageFile, src, sink)
	}
	return c.Fetch(ctx, f, src, sink)
}
