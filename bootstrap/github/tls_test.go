package github

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// A GHES with a private CA: refused without --ca-file (with advice), accepted with it.
func TestCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"total_count":0,"runners":[]}`))
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	tgt, err := ParseTarget(srv.URL+"/acme", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		caFile string
		ok     bool
	}{{"", false}, {ca, true}} {
		c, err := New(Options{Target: tgt, Token: secret.New("ghp_x123456"), CAFile: tc.caFile, Retry: fastPolicy()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.ListRunners(context.Background(), "")
		if tc.ok && err != nil {
			t.Fatalf("with --ca-file: %v", err)
		}
		if !tc.ok && (err == nil || !strings.Contains(err.Error(), "--ca-file")) {
			t.Fatalf("without --ca-file: %v", err)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	_ = os.WriteFile(bad, []byte("not pem"), 0o644)
	if _, err := NewTransport(bad, Proxy{}); failure.KindOf(err) != failure.Usage {
		t.Fatalf("bad CA file: %v", err)
	}
}
