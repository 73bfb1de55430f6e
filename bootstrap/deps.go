package bootstrap

import (
	"log/slog"

	"github.com/runnerctl/runnerctl/bootstrap/fetch"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// Deps is what the pipeline works with: the GitHub API (nil when no
// credential was given: status and uninstall then work locally), the host's
// service manager, the package cache and fetcher, the logger, the one
// redactor and the trusted store. main builds it from the real things (RunX); tests hand in
// fakes.
type Deps struct {
	API      LifecycleAPI
	Services ServiceManager
	Cache    *fetch.Cache
	Fetcher  *fetch.Fetcher
	Log      *slog.Logger
	Redactor *secret.Redactor
	// Store is root's trusted record of this host's runners.
	Store Store
	// Trust is the OS trust store --ca-file goes into (nil: the real one).
	Trust TrustStore
}

// trust is d.Trust, or the host's OS trust store.
func (d Deps) trust() TrustStore {
	if d.Trust == nil {
		return OSTrustStore{}
	}
	return d.Trust
}
