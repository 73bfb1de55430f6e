package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github"
)

func small(hosts int) config {
	return config{hosts: hosts, scale: 20, rate: 5, primary: 5000, maxWait: 10 * time.Minute,
		hostTimeout: 15 * time.Minute, spread: github.DefaultRetryPolicy(0).RateLimitSpread}
}

// A small storm: every host registers, the server refused some requests
// (the limit was really in the way), and what the clients counted is what
// the server received.
func TestSmallStorm(t *testing.T) {
	var out strings.Builder
	if err := run(small(30), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := out.String()
	t.Log(s)
	if !strings.Contains(s, "registered:    30/30 (100.0%)") {
		t.Error("not every host registered")
	}
	if strings.Contains(s, " 0 refused by the secondary limit") {
		t.Error("30 hosts at 5 requests/s were never refused: the limit is not on")
	}
	var sent, counted int
	found := false
	for _, line := range strings.Split(s, "\n") {
		if _, err := fmt.Sscanf(line, "REST requests: %d sent (client count %d)", &sent, &counted); err == nil {
			found = true
			if sent != counted || sent < 30*restPerHost {
				t.Errorf("server received %d requests, clients sent %d, %d needed", sent, counted, 30*restPerHost)
			}
		}
	}
	if !found {
		t.Error("no request count")
	}
}

func TestBounds(t *testing.T) {
	for _, c := range []config{small(0), small(maxHosts + 1)} {
		if err := run(c, &strings.Builder{}); err == nil || !strings.Contains(err.Error(), "-hosts") {
			t.Errorf("-hosts %d: %v, want refused", c.hosts, err)
		}
	}
}
