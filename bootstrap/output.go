package bootstrap

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/fetch"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform"
)

// Format is an output format: "text" (tables for people) or "json".
type Format string

// ParseFormat checks an --output value.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "", "text":
		return "text", nil
	case "json":
		return "json", nil
	}
	return "", failure.Wrap(failure.Usage, fmt.Errorf("--output %q: use text or json", s))
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

func table(w io.Writer, header string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// WriteRunners writes runners as a table or JSON.
func WriteRunners(w io.Writer, f Format, rs []github.Runner) error {
	if rs == nil {
		rs = []github.Runner{}
	}
	if f == "json" {
		return WriteJSON(w, rs)
	}
	rows := make([][]string, 0, len(rs))
	for _, r := range rs {
		busy := "-"
		if r.Busy {
			busy = "busy"
		}
		rows = append(rows, []string{fmt.Sprint(r.ID), r.Name, r.Status, busy, r.OS, strings.Join(r.LabelNames(), ",")})
	}
	return table(w, "ID\tNAME\tSTATUS\tBUSY\tOS\tLABELS", rows)
}

// WriteDownloads writes the runner packages as a table or JSON.
func WriteDownloads(w io.Writer, f Format, ds []github.Download) error {
	if ds == nil {
		ds = []github.Download{}
	}
	if f == "json" {
		return WriteJSON(w, ds)
	}
	rows := make([][]string, 0, len(ds))
	for _, d := range ds {
		sum := d.SHA256
		if sum == "" {
			sum = "(none)"
		}
		rows = append(rows, []string{d.OS, d.Architecture, d.Filename, sum})
	}
	return table(w, "OS\tARCH\tFILENAME\tSHA256", rows)
}

// WriteToken prints a token the user asked for: the token alone on a line
// (for $(...)), or JSON with its expiry.
func WriteToken(w io.Writer, f Format, t github.Token) error {
	if f == "json" {
		return WriteJSON(w, struct {
			Token     string `json:"token"`
			ExpiresAt string `json:"expires_at"`
		}{t.Value.Reveal(), t.ExpiresAt.UTC().Format(time.RFC3339)})
	}
	_, err := fmt.Fprintln(w, t.Value.Reveal())
	return err
}

// WritePrune reports a prune.
func WritePrune(w io.Writer, f Format, r PruneResult) error {
	if f == "json" {
		return WriteJSON(w, r)
	}
	verb := "deleted"
	if r.DryRun {
		verb = "would delete"
	}
	var rows [][]string
	for _, x := range r.Deleted {
		rows = append(rows, []string{verb, fmt.Sprint(x.ID), x.Name, strings.Join(x.LabelNames(), ",")})
	}
	for _, x := range r.Skipped {
		rows = append(rows, []string{"skipped (busy)", fmt.Sprint(x.ID), x.Name, strings.Join(x.LabelNames(), ",")})
	}
	for _, x := range r.Failed {
		rows = append(rows, []string{"FAILED: " + x.Error, fmt.Sprint(x.Runner.ID), x.Runner.Name, strings.Join(x.Runner.LabelNames(), ",")})
	}
	if err := table(w, "ACTION\tID\tNAME\tLABELS", rows); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d %s, %d skipped, %d failed\n", len(r.Deleted), verb, len(r.Skipped), len(r.Failed))
	return err
}

// WriteStatus prints status reports: one block per runner directory.
func WriteStatus(w io.Writer, f Format, reps []StatusReport) error {
	if f == "json" {
		return WriteJSON(w, reps)
	}
	if len(reps) == 0 {
		_, err := fmt.Fprintln(w, "no runner installed")
		return err
	}
	for i, r := range reps {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if !r.Installed && r.Package == "" {
			fmt.Fprintf(w, "%s: nothing installed\n", r.Dir)
			continue
		}
		row := func(k, v string) {
			if v != "" {
				fmt.Fprintf(w, "%-11s %s\n", k+":", v)
			}
		}
		row("dir", r.Dir)
		row("runner", r.Name)
		if r.ID != 0 {
			row("id", fmt.Sprint(r.ID))
		}
		row("url", r.URL)
		row("user", r.User)
		row("package", r.Package)
		row("version", r.Version)
		if r.OnEphemeralExit != "" {
			row("ephemeral", "one job, then "+string(r.OnEphemeralExit))
		}
		switch {
		case r.Drained:
			row("config", "drained: registration removed by `runnerctl drain` (`runnerctl install` registers it anew, `uninstall` removes the rest)")
		case r.RegistrationGone:
			row("config", "registration gone: run `runnerctl install` again (it registers anew from a fresh extraction)")
		case !r.Configured:
			row("config", "not registered (no .runner)")
		}
		if r.Service != "" {
			state := string(r.ServiceState)
			if r.ServiceDetail != "" && r.ServiceDetail != state {
				state += ": " + r.ServiceDetail
			}
			row("service", r.Service+" ("+state+")")
			row("supervisor", r.Supervisor)
			writeWatch(row, r.Watch)
		}
		switch {
		case r.Server != nil:
			busy := "idle"
			if r.Server.Busy {
				busy = "busy"
			}
			row("server", r.Server.Status+", "+busy+", labels "+strings.Join(r.Server.LabelNames(), ","))
		case r.ServerError != "":
			row("server", "error: "+r.ServerError)
		}
	}
	return nil
}

// writeWatch prints the supervisor's view of its listener, one row per
// subject.
func writeWatch(row func(k, v string), v *platform.SupervisorView) {
	if v == nil {
		return
	}
	if v.ListenerPID != 0 {
		row("listener", fmt.Sprintf("pid %d, up %s", v.ListenerPID, (time.Duration(v.UptimeSeconds)*time.Second).String()))
	}
	restarts := fmt.Sprint(v.Restarts)
	if v.LastExit != "" {
		restarts += ", last exit: " + v.LastExit
	}
	row("restarts", restarts)
	jobs := fmt.Sprintf("%d run", v.JobsRun)
	switch {
	case v.CurrentJob != "":
		jobs += ", running: " + v.CurrentJob
	case v.Current && v.State == "listening":
		jobs += ", idle"
	}
	if !v.Current {
		jobs += " (last run of the supervisor)"
	}
	row("jobs", jobs)
	row("last error", v.LastError)
}

// WriteEntries prints cache entries as sha256sum does, or JSON.
func WriteEntries(w io.Writer, f Format, es []fetch.Entry) error {
	if f == "json" {
		return WriteJSON(w, es)
	}
	for _, e := range es {
		if _, err := fmt.Fprintf(w, "%s  %s\n", e.SHA256, e.Path); err != nil {
			return err
		}
	}
	return nil
}

// WritePrepare reports a prepare.
func WritePrepare(w io.Writer, f Format, res PrepareResult) error {
	if f == "json" {
		return WriteJSON(w, res)
	}
	what := "prepared"
	if res.Unchanged {
		what = "already prepared"
	}
	_, err := fmt.Fprintf(w, "%s %s from %s (sha256 %s)\n", what, res.Dir, res.Package, res.SHA256)
	return err
}

// WriteInstall reports an install.
func WriteInstall(w io.Writer, f Format, res InstallResult) error {
	if f == "json" {
		return WriteJSON(w, res)
	}
	what := "installed"
	switch {
	case res.Unchanged:
		what = "already installed"
	case res.Repaired:
		what = "repaired"
	case res.LabelsSet:
		what = "labels set through the API on installed"
	}
	line := fmt.Sprintf("%s runner %s (id %d) in %s", what, res.Name, res.ID, res.Dir)
	if res.Service != "" {
		line += fmt.Sprintf(", service %s (%s)", res.Service, res.ServiceManager)
	}
	if res.Status != "" {
		line += fmt.Sprintf(", %s %s after the install started", res.Status, res.OnlineAfter.Round(10*time.Millisecond))
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

// WriteCount reports install --count: a line per runner installed or
// kept, then one per runner removed.
func WriteCount(w io.Writer, f Format, res CountResult) error {
	if f == "json" {
		return WriteJSON(w, res)
	}
	for _, r := range res.Runners {
		if err := WriteInstall(w, f, r); err != nil {
			return err
		}
	}
	return WriteUninstall(w, f, res.Removed)
}

// WriteUninstall reports uninstalls, one line each.
func WriteUninstall(w io.Writer, f Format, results []UninstallResult) error {
	if f == "json" {
		return WriteJSON(w, results)
	}
	for _, res := range results {
		line := fmt.Sprintf("uninstalled runner %s (id %d) from %s", res.Name, res.ID, res.Dir)
		if res.Nothing {
			line = "nothing installed in " + res.Dir
		}
		if l := res.LeftOnServer; l != nil {
			line += fmt.Sprintf("\nleft on the server (not removed): runner %s (id %d) at %s; remove it with:\n  %s", l.Name, l.ID, l.URL, l.Command)
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

// NewLogger returns the logger of --log-format and --log-level, writing to w.
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, failure.Wrap(failure.Usage, fmt.Errorf("--log-level %q: use debug, info, warn or error", level))
	}
	ho := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return nil, failure.Wrap(failure.Usage, fmt.Errorf("--log-format %q: use text or json", format))
}

// WriteDoctor prints doctor's checks: one line each, ✓ ok, ! warn, ✗
// fail, with the fix after a failing or warning one; or a JSON list.
func WriteDoctor(w io.Writer, f Format, checks []Check) error {
	if f == "json" {
		if checks == nil {
			checks = []Check{}
		}
		return WriteJSON(w, checks)
	}
	mark := map[CheckStatus]string{CheckOK: "✓", CheckWarn: "!", CheckFail: "✗"}
	for _, c := range checks {
		line := fmt.Sprintf("%s %-16s %s", mark[c.Status], c.Name, c.Message)
		if c.Fix != "" && c.Status != CheckOK {
			line += " — fix: " + c.Fix
		}
		// Server text (messages, scopes, certificate names) goes to a
		// terminal: no control character (escape sequences) gets through.
		line = strings.Map(func(r rune) rune {
			if platform.ControlRune(r) {
				return '?'
			}
			return r
		}, line)
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	return nil
}

// ErrorText is err's message as runnerctl prints it last: every known
// secret redacted, and control characters other than newline and tab
// (a terminal escape a server's message or a job's file could carry)
// shown as '?'.
func ErrorText(err error, r *secret.Redactor) string {
	return strings.Map(func(c rune) rune {
		if c != '\n' && c != '\t' && platform.ControlRune(c) {
			return '?'
		}
		return c
	}, r.Redact(err.Error()))
}
