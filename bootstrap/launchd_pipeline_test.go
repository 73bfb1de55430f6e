//go:build !windows

package bootstrap

import (
	"strings"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/platform"
)

// --launchd is refused before anything is registered where it cannot
// apply: with --no-service, and an agent for root (no GUI session).
func TestPipelineLaunchdRefused(t *testing.T) {
	p := newPipe(t)
	for _, c := range []struct {
		noService bool
		kind      platform.LaunchdKind
	}{{true, platform.LaunchAgent}, {true, platform.LaunchDaemon}, {false, platform.LaunchAgent}} {
		o := p.options("pipe-ld")
		o.NoService, o.Launchd = c.noService, c.kind
		if _, err := p.install(o); failure.KindOf(err) != failure.Usage || !strings.Contains(err.Error(), "--launchd") {
			t.Errorf("--no-service %v --launchd %s: %v, want a usage error", c.noService, c.kind, err)
		}
	}
	if n := p.count("POST", "/registration-token"); n != 0 || p.dirExists() || len(p.svc.Calls()) != 0 {
		t.Errorf("a refused --launchd did something: %d tokens, dir %v, services %q", n, p.dirExists(), p.svc.Calls())
	}
}
