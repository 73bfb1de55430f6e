package bootstrap

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/platform/backoff"

	"github.com/runnerctl/runnerctl/platform"
)

// waitPolicy times the wait for online (design.md step 9).
type waitPolicy struct {
	LocalPoll time.Duration // how often the local status is read (no API request)
	// NoSignalGrace: with no supervisor status file to watch (an older
	// supervisor, a manager that did not make its directory), the API is
	// asked after this long anyway.
	NoSignalGrace                time.Duration
	APIMinBackoff, APIMaxBackoff time.Duration
}

func defaultWaitPolicy() waitPolicy {
	return waitPolicy{LocalPoll: 200 * time.Millisecond, NoSignalGrace: 5 * time.Second, APIMinBackoff: time.Second, APIMaxBackoff: 10 * time.Second}
}

// logLines is how many of the service's log lines a failed wait quotes.
const logLines = 15

// confirm waits until the API shows the runner online, gently: first for
// the supervisor's local signal that the listener listens (no request),
// then GET /runners/{id} with back-off from 1 s doubling to 10 s. A
// service that fails or stops on the way ends the wait at once (exit 7);
// running out of --wait gives exit 8. Both errors carry the service's
// state and its last log lines, so the cause is in cloud-init's output
// log too, not only in the journal.
//
// res.OnlineAfter is counted from since, when install started.
func confirm(ctx context.Context, api LifecycleAPI, svc ServiceManager, o InstallOptions, res *InstallResult, since time.Time, log *slog.Logger) error {
	if o.Wait <= 0 {
		return nil
	}
	if o.NoService || res.Service == "" {
		log.Info("--no-service: not waiting for the runner to come online; start it with `runnerctl run --dir " + o.Dir + "`")
		return nil
	}
	p := defaultWaitPolicy()
	if o.waitPolicy != nil {
		p = *o.waitPolicy
	}
	start := time.Now()
	deadline := start.Add(o.Wait)
	var askAt time.Time // zero: the API is not asked yet
	backoff := backoff.Doubling{Min: p.APIMinBackoff, Max: p.APIMaxBackoff}
	lastState, lastServer := "", ""
	var st platform.ServiceStatus
	for {
		now := time.Now()
		s, err := svc.Status(res.Service)
		if err != nil {
			log.Debug("service status", "service", res.Service, "err", err)
		} else {
			st = s
			if k := string(st.State) + "|" + st.Supervisor; k != lastState {
				log.Info("service", "service", res.Service, "state", st.State, "manager", st.Detail, "supervisor", st.Supervisor)
				lastState = k
			}
			switch st.State {
			case platform.ServiceFailed, platform.ServiceStopped, platform.ServiceNotInstalled:
				return failure.Wrap(failure.Service, fmt.Errorf("runner %q (id %d) cannot come online: service %s is %s%s",
					res.Name, res.ID, res.Service, st.State, serviceReport(svc, res.Service, st, since)))
			}
			if st.State == platform.ServiceAwaitingLogin {
				log.Warn("not waiting for the runner to come online: its launchd agent starts when its user logs in to the desktop", "service", res.Service, "user", res.User)
				res.Status = string(st.State)
				return nil
			}
			if api == nil && confirmLocal(st, res, log) {
				res.OnlineAfter = time.Since(since)
				return nil
			}
			if st.Listening && askAt.IsZero() {
				askAt = now
			}
		}
		if api == nil && !st.Supervised && now.Sub(start) >= p.NoSignalGrace {
			res.Status = string(st.State) // no supervisor to say it listens, no API to ask
			return nil
		}
		if askAt.IsZero() && !st.Supervised && now.Sub(start) >= p.NoSignalGrace {
			askAt = now
		}
		if api != nil && !askAt.IsZero() && !now.Before(askAt) {
			// --wait bounds the request too (its retries and rate-limit
			// waits), not only the loop.
			rctx, cancel := context.WithDeadline(ctx, deadline)
			r, err := api.GetRunner(rctx, res.ID)
			cancel()
			if err != nil && ctx.Err() == nil && rctx.Err() != nil {
				return failure.Wrap(failure.Timeout, fmt.Errorf("runner %q (id %d): the server did not answer within --wait %s (%w): service %s is %s%s",
					res.Name, res.ID, o.Wait, err, res.Service, st.State, serviceReport(svc, res.Service, st, since)))
			}
			if err != nil {
				return err
			}
			if r.Status != lastServer {
				log.Info("runner status on the server", "name", r.Name, "id", r.ID, "status", r.Status)
				lastServer = r.Status
			}
			if r.Status == "online" {
				res.Status, res.OnlineAfter = r.Status, time.Since(since)
				log.Info("runner is online", "name", r.Name, "id", r.ID, "after", res.OnlineAfter.Round(time.Millisecond))
				return nil
			}
			askAt = time.Now().Add(backoff.Next()) // from this request, not from the loop's start
		}
		if now.After(deadline) {
			server := lastServer
			if server == "" {
				server = "not asked: the listener never said it listens"
			}
			return failure.Wrap(failure.Timeout, fmt.Errorf("runner %q (id %d) is not online after --wait %s (server: %s): service %s is %s%s",
				res.Name, res.ID, o.Wait, server, res.Service, st.State, serviceReport(svc, res.Service, st, since)))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(p.LocalPoll):
		}
	}
}

// serviceReport is what an operator needs to see when a service does not
// bring its runner online: the manager's and the supervisor's words and
// the service's last log lines.
func serviceReport(svc ServiceManager, name string, st platform.ServiceStatus, since time.Time) string {
	var b strings.Builder
	if st.Detail != "" {
		fmt.Fprintf(&b, " (%s)", st.Detail)
	}
	if st.Supervisor != "" {
		fmt.Fprintf(&b, "; supervisor: %s", st.Supervisor)
	}
	if lines := svc.Logs(name, since, logLines); len(lines) > 0 {
		fmt.Fprintf(&b, "; its last log lines:\n    | %s", strings.Join(lines, "\n    | "))
	} else {
		b.WriteString("; see its log (journalctl -u " + name + ", /var/log/" + name + ".err)")
	}
	return b.String()
}
