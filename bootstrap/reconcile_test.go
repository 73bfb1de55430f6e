package bootstrap

import (
	"slices"
	"testing"

	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/runner"
)

func TestRegistrationChanges(t *testing.T) {
	asked := runner.Config{Name: "a", Group: "g", Work: "w", DisableUpdate: true, Labels: []string{"x"}}
	rec := &RunnerRecord{Name: "a", Labels: []string{"y"}, Settings: settingsOf(asked)}
	if got := registrationChanges(rec, asked); len(got) != 0 {
		t.Fatalf("same settings (labels aside): %v", got)
	}
	other := asked
	other.Name, other.Group, other.Ephemeral, other.NoDefaultLabels = "b", "", true, true
	want := []string{`--name "a" → "b"`, "--ephemeral false → true", `--runnergroup "g" → ""`, "--no-default-labels false → true"}
	if got := registrationChanges(rec, other); !slices.Equal(got, want) {
		t.Fatalf("changes:\n got %q\nwant %q", got, want)
	}
	// A record made before settings were kept: name and ephemeral only.
	old := &RunnerRecord{Name: "a"}
	if got := registrationChanges(old, asked); len(got) != 0 {
		t.Fatalf("old record: %v", got)
	}
}

func TestWantedLabels(t *testing.T) {
	rn := github.Runner{Labels: []github.Label{{Name: "self-hosted", Type: "read-only"}, {Name: "Linux", Type: "read-only"}, {Name: "old", Type: "custom"}}}
	got := wantedLabels([]string{"gpu", "linux", "GPU", "self-hosted", "big"}, rn)
	if !slices.Equal(got, []string{"gpu", "big"}) {
		t.Fatalf("wanted: %q", got)
	}
	if c := customLabels(rn); !slices.Equal(c, []string{"old"}) {
		t.Fatalf("custom: %q", c)
	}
	if !sameLabels([]string{"a", "b"}, []string{"b", "a"}) || sameLabels([]string{"a"}, nil) || !sameLabels(nil, []string{}) {
		t.Fatal("sameLabels")
	}
}
