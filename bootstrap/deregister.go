package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/runnerctl/runnerctl/bootstrap/github"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// Uninstall's deregistration, days after the install (issue 12 item 6):
// by id with the API credential, by name when the id is gone; with a
// pre-minted remove token (--remove-token-file) and no API credential;
// never with a stored registration token (none is stored).

// removeTokenAPI is what a remove token can do.
type removeTokenAPI interface {
	DeleteRunnerWithRemoveToken(ctx context.Context, id int64, tok secret.Secret) error
}

// Leftover is a registration uninstall --force left on the server, and
// the command that removes it.
type Leftover struct {
	Name    string `json:"name"`
	ID      int64  `json:"id"`
	URL     string `json:"url"`
	Command string `json:"delete_command"`
}

func leftover(r *RunnerRecord) *Leftover {
	return &Leftover{Name: r.Name, ID: r.ID, URL: r.URL, Command: fmt.Sprintf("runnerctl runners delete --url %s %d", r.URL, r.ID)}
}

// errNoDeregistration: neither an API credential nor a remove token.
var errNoDeregistration = errors.New("no API credential and no --remove-token-file to remove the registration with")

// removeRegistration deletes the registration r records. With a remove
// token: DELETE by the recorded id, authenticated by the token alone (no
// runner code, nothing read from the runner directory). With the API:
// by id; when that id is gone, a runner of the same name (an id the
// record missed) is deleted unless it is online, which would be another
// host's runner now. Gone already is done.
func removeRegistration(ctx context.Context, api LifecycleAPI, o UninstallOptions, r *RunnerRecord, log *slog.Logger) error {
	if o.remover != nil {
		err := o.remover.DeleteRunnerWithRemoveToken(ctx, r.ID, o.removeToken)
		if errors.Is(err, github.ErrNotFound) {
			log.Info("the registration is gone already", "name", r.Name, "id", r.ID)
			return nil
		}
		return err
	}
	if api == nil {
		return errNoDeregistration
	}
	if err := api.DeleteRunner(ctx, r.ID); !errors.Is(err, github.ErrNotFound) {
		return err
	}
	f, err := api.FindRunner(ctx, r.Name)
	switch {
	case err != nil:
		return fmt.Errorf("runner %d is gone; look for %q: %w", r.ID, r.Name, err)
	case f == nil:
		log.Info("the registration is gone already", "name", r.Name, "id", r.ID)
		return nil
	case f.Status == "online":
		log.Warn("the recorded id is gone and a runner of the same name is online (another host's): left alone", "name", r.Name, "id", r.ID, "online_id", f.ID)
		return nil
	}
	log.Info("the recorded id is gone: deleting the runner of the same name", "name", r.Name, "id", r.ID, "found_id", f.ID)
	return deregister(ctx, api, f.ID)
}

// uninstallClients is uninstall's API client for the runner in o.Dir (nil
// without a credential) and, with a remove token, the client that uses it
// (o.remover). With --force, a server that cannot be reached is no error:
// the registration is then reported as left behind.
func (e Env) uninstallClients(url string, o *UninstallOptions) (*github.Client, error) {
	if !o.removeToken.Empty() {
		c, err := e.lifecycleConn(url, o.Dir)
		if err != nil || c.URL == "" {
			return nil, err
		}
		tc, err := github.ConnectTokenOnly(c)
		if err != nil {
			return nil, err
		}
		o.remover = tc
		return nil, nil
	}
	c, err := e.lifecycleAPI(url, o.Dir)
	if err != nil && o.Force {
		e.Log.Warn("--force: no API client: the registration stays on the server", "err", err)
		return nil, nil
	}
	return c, err
}
