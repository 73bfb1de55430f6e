package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/runner"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform"
)

// Steps 6-7 of design.md: who runs the runner, and its registration.

// runAs decides who runs the runner: "" for ourselves (not root), the
// runner user, or root with --allow-root.
func runAs(o InstallOptions) (user string, allowRoot bool, err error) {
	if err := runner.CheckText("--user", o.User); err != nil {
		return "", false, err
	}
	if !platform.Privileged() {
		return "", o.AllowRoot, nil
	}
	if o.AllowRoot {
		if o.User != "" && o.User != "runner" && o.User != "root" {
			return "", false, failure.Wrap(failure.Usage, fmt.Errorf("--allow-root runs the runner as root: it does not go with --user %s", o.User))
		}
		return "root", true, nil
	}
	if o.User == "" || o.User == "root" {
		return "", false, failure.Wrap(failure.Usage, errors.New("refusing to run the runner as root: give an unprivileged --user (default runner), or pass --allow-root to opt out"))
	}
	return o.User, false, nil
}

// register mints a registration token and runs config.sh. A token that
// has expired (or expires in the next minute) is replaced by a fresh one
// before config.sh runs, and once more if config.sh failed after it expired.
func register(ctx context.Context, api LifecycleAPI, ex runner.Exec, cfg runner.Config, red *secret.Redactor, log *slog.Logger) error {
	mint := func() (github.Token, error) {
		for range 3 {
			tok, err := api.RegistrationToken(ctx)
			if err != nil {
				return tok, err
			}
			red.Add(tok.Value)
			if tok.ExpiresAt.IsZero() || time.Until(tok.ExpiresAt) > time.Minute {
				return tok, nil
			}
			log.Warn("the registration token expires too soon: minting a fresh one", "expires_at", tok.ExpiresAt)
		}
		return github.Token{}, failure.Wrap(failure.Auth, errors.New("register: every registration token the server gave had expired: check the server's clock"))
	}
	tok, err := mint()
	if err != nil {
		return err
	}
	err = ex.Configure(ctx, cfg, tok.Value)
	if err != nil && !tok.ExpiresAt.IsZero() && time.Now().After(tok.ExpiresAt) {
		log.Warn("config.sh failed after the registration token expired: retrying with a fresh token")
		if tok, err = mint(); err != nil {
			return err
		}
		err = ex.Configure(ctx, cfg, tok.Value)
	}
	return err
}

// removeLeftover deletes a runner named name that a failed config.sh
// registered: one that is there now and was not (or had another id) before.
func removeLeftover(ctx context.Context, api LifecycleAPI, name string, before *github.Runner, log *slog.Logger) {
	after, err := api.FindRunner(ctx, name)
	if err != nil {
		log.Error("rollback: could not check for a registration config.sh left behind", "name", name, "err", err)
		return
	}
	if after == nil || (before != nil && before.ID == after.ID) {
		return
	}
	if err := api.DeleteRunner(ctx, after.ID); err != nil && !errors.Is(err, github.ErrNotFound) {
		log.Error("rollback: could not delete the registration config.sh left behind", "name", name, "id", after.ID, "err", err)
		return
	}
	log.Info("rollback: deleted the registration config.sh left behind", "name", name, "id", after.ID)
}

// deregister deletes a registration through the API by its id (the
// store's, or the server's at install). config.sh remove is not used: a
// remove token is not handed to a config.sh that a job may have
// rewritten. Gone already is fine.
func deregister(ctx context.Context, api LifecycleAPI, id int64) error {
	if api == nil {
		return fmt.Errorf("delete runner %d: no API credential to delete it with: delete it with `runnerctl runners delete` and a credential", id)
	}
	if err := api.DeleteRunner(ctx, id); err != nil && !errors.Is(err, github.ErrNotFound) {
		return fmt.Errorf("delete runner %d: %w", id, err)
	}
	return nil
}
