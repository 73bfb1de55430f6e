package bootstrap

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/runner"
)

// A re-run of install on an installed runner (design.md: the same call
// changes nothing) compares what it is asked for with the registration
// the trusted record describes. Custom labels are the one setting the
// API changes in place (PUT .../runners/{id}/labels): the same
// registration, the same id. Everything else config.sh sent when it
// registered (name, runner group, work folder, ephemeral, no default
// labels, disable update) needs a new registration, which only
// --replace asks for; another --url, another server, needs an uninstall
// first (the old registration is deleted through its own server).

// RegistrationSettings are the config.sh settings a registration was
// made with, besides its URL, name, labels and ephemeral.
type RegistrationSettings struct {
	Group           string `json:"runnergroup,omitempty"`
	Work            string `json:"work,omitempty"`
	NoDefaultLabels bool   `json:"no_default_labels,omitempty"`
	DisableUpdate   bool   `json:"disableupdate,omitempty"`
}

func settingsOf(c runner.Config) *RegistrationSettings {
	return &RegistrationSettings{Group: c.Group, Work: c.Work, NoDefaultLabels: c.NoDefaultLabels, DisableUpdate: c.DisableUpdate}
}

// registrationChanges lists, as flag: recorded → asked, the settings of
// o that differ from the registration r records (labels aside). A record
// made before settings were kept is compared on name and ephemeral only.
func registrationChanges(r *RunnerRecord, c runner.Config) []string {
	var out []string
	diff := func(flag, was, now string) {
		if was != now {
			out = append(out, fmt.Sprintf("--%s %s → %s", flag, strconv.Quote(was), strconv.Quote(now)))
		}
	}
	flag := func(name string, was, now bool) {
		if was != now {
			out = append(out, fmt.Sprintf("--%s %t → %t", name, was, now))
		}
	}
	diff("name", r.Name, c.Name)
	flag("ephemeral", r.Ephemeral, c.Ephemeral)
	if s := r.Settings; s != nil {
		diff("runnergroup", s.Group, c.Group)
		diff("work", s.Work, c.Work)
		flag("no-default-labels", s.NoDefaultLabels, c.NoDefaultLabels)
		flag("disableupdate", s.DisableUpdate, c.DisableUpdate)
	}
	return out
}

// checkRegistrationChange refuses a re-run that asks for another
// registration than rec's without --replace, naming what changed; with
// --replace it returns why the registration is replaced ("" when
// nothing changed).
func checkRegistrationChange(rec *Record, o InstallOptions) (string, error) {
	r := rec.Runner
	if r.URL != o.Target.URL {
		return "", failure.Wrap(failure.Usage, fmt.Errorf("install: %s holds runner %q for %s, not %s: its registration is deleted through that server: run `runnerctl uninstall --dir %s` first, or choose another --dir",
			o.Dir, r.Name, r.URL, o.Target.URL, o.Dir))
	}
	changed := registrationChanges(r, o.Runner)
	if len(changed) == 0 {
		return "", nil
	}
	what := strings.Join(changed, ", ")
	if !o.Runner.Replace {
		return "", failure.Wrap(failure.Usage, fmt.Errorf("install: runner %q in %s (id %d) was registered with other settings: %s; that needs a new registration (a new runner id, the old one deleted): add --replace, or run `runnerctl uninstall --dir %s` first (labels alone are changed in place)",
			r.Name, o.Dir, r.ID, what, o.Dir))
	}
	return "--replace: " + what, nil
}

// customLabels are the custom labels of an API runner.
func customLabels(rn github.Runner) []string {
	var out []string
	for _, l := range rn.Labels {
		if l.Type != "read-only" {
			out = append(out, l.Name)
		}
	}
	return out
}

// wantedLabels is --labels as the custom labels to set: without
// duplicates, and without the runner's read-only labels (self-hosted, its
// OS and architecture: GitHub matches labels without regard to case, and
// a read-only one is never a custom label).
func wantedLabels(asked []string, rn github.Runner) []string {
	var out []string
	for _, l := range asked {
		dup := func(x string) bool { return strings.EqualFold(x, l) }
		if slices.ContainsFunc(out, dup) || slices.ContainsFunc(rn.Labels, func(x github.Label) bool { return x.Type == "read-only" && dup(x.Name) }) {
			continue
		}
		out = append(out, l)
	}
	return out
}

// sameLabels reports whether a and b hold the same labels, in any order.
func sameLabels(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// reconcileLabels makes the server's custom labels of the installed
// runner what --labels asks (drift from the UI or the API included),
// through the labels API, and records them; it reports whether it set
// them. The registration stays.
func reconcileLabels(ctx context.Context, d Deps, o InstallOptions, rec *Record) (*Record, bool, error) {
	if d.API == nil {
		// No API credential (a pre-minted token): labels can only be set
		// by registering again.
		if !sameLabels(o.Runner.Labels, rec.Runner.Labels) {
			return nil, false, failure.Wrap(failure.Usage, fmt.Errorf("install: --labels differ from the installed runner's (%s): without an API credential they can only change with a new registration: add --replace", strings.Join(rec.Runner.Labels, ",")))
		}
		return rec, false, nil
	}
	rn, err := d.API.GetRunner(ctx, rec.Runner.ID)
	if err != nil {
		return nil, false, fmt.Errorf("install: %w", err)
	}
	want, have := wantedLabels(o.Runner.Labels, rn), customLabels(rn)
	set := !sameLabels(want, have)
	if set {
		body := want
		if body == nil {
			body = []string{} // PUT with [] removes every custom label
		}
		if _, err := d.API.SetLabels(ctx, rn.ID, body); err != nil {
			return nil, false, fmt.Errorf("install: set the labels of runner %q: %w", rn.Name, err)
		}
		d.Log.Info("runner labels set through the API: same registration", "name", rn.Name, "id", rn.ID, "from", strings.Join(have, ","), "to", strings.Join(want, ","))
	}
	if sameLabels(rec.Runner.Labels, want) {
		return rec, set, nil
	}
	up, rr := *rec, *rec.Runner
	rr.Labels = want
	up.Runner = &rr
	if err := d.Store.Put(up); err != nil {
		return nil, set, err
	}
	return &up, set, nil
}
