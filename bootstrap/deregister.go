package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

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
// by id. Gone already is done. A runner of the same name that the server
// still lists when the recorded id is gone is named in a warning, never
// deleted: nothing on the server says it is this host's (fleets reuse
// host names; another host's runner that is offline for a reboot, a
// spot interruption or its own update looks just the same), and the
// record is all root trusts here.
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
	log.Info("the registration is gone already", "name", r.Name, "id", r.ID)
	f, err := api.FindRunner(ctx, r.Name)
	if err != nil || f == nil {
		return nil // only a warning was at stake
	}
	log.Warn("the recorded id is gone and the server lists another runner of the same name: left alone (nothing says it is this host's, not another host's with the same name); if it is this host's, delete it with: runnerctl runners delete --url "+r.URL+" "+strconv.FormatInt(f.ID, 10),
		"name", r.Name, "id", r.ID, "other_id", f.ID, "other_status", f.Status)
	return nil
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
