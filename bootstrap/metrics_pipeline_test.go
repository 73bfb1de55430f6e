//go:build !windows

package bootstrap

import (
	"strings"
	"testing"
)

// install --metrics-addr: the service runs `run --metrics-addr`, the
// record keeps it, a re-install without the flag keeps it, "off" drops it.
func TestPipelineMetricsAddr(t *testing.T) {
	p := newPipe(t)
	o := p.options("metrics")
	o.MetricsAddr = "127.0.0.1:9252"
	p.mustInstall(o)
	args := func() string {
		p.svc.mu.Lock()
		defer p.svc.mu.Unlock()
		return strings.Join(p.svc.services[p.service("metrics")].spec.Args, " ")
	}
	recorded := func() string {
		rec, err := p.store.Get(p.dir)
		if err != nil || rec == nil || rec.Runner == nil {
			t.Fatalf("record: %v %v", rec, err)
		}
		return rec.Runner.MetricsAddr
	}
	if a := args(); !strings.HasSuffix(a, " --metrics-addr 127.0.0.1:9252") || recorded() != "127.0.0.1:9252" {
		t.Fatalf("service args %q, record %q: want --metrics-addr 127.0.0.1:9252 in both", a, recorded())
	}
	o.MetricsAddr = ""
	p.mustInstall(o)
	if a := args(); !strings.Contains(a, "--metrics-addr 127.0.0.1:9252") || recorded() != "127.0.0.1:9252" {
		t.Errorf("a re-install without --metrics-addr: args %q, record %q: want it kept", a, recorded())
	}
	o.MetricsAddr = "off"
	p.mustInstall(o)
	if a := args(); strings.Contains(a, "--metrics-addr") || recorded() != "" {
		t.Errorf("--metrics-addr off: args %q, record %q: want it gone", a, recorded())
	}
}
