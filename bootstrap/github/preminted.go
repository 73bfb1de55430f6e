package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
	"github.com/runnerctl/runnerctl/bootstrap/secret"
	"github.com/runnerctl/runnerctl/platform"
)

// Hosts without an API credential (issue 12 item 2): an orchestrator
// hands them a registration token, a remove token or a JIT config it
// minted. Each comes in a file, read by ReadCredentialFile.

// ReadCredentialFile reads a credential from the file flag names
// (--registration-token-file, --remove-token-file, --jitconfig-file, the
// PAT and App key files); log (may be nil) gets a warning when the file
// is open to other users.
func ReadCredentialFile(path, flag string, log *slog.Logger) (secret.Secret, error) {
	b, err := platform.ReadRegular(path, maxCredentialFile)
	if err != nil {
		return secret.Secret{}, failure.Wrap(failure.Usage, fmt.Errorf("%s: read secret file: %w", flag, err))
	}
	s := secret.New(string(b))
	clear(b)
	if s.Empty() {
		return s, failure.Wrap(failure.Usage, fmt.Errorf("%s: read secret file %s: the file is empty", flag, path))
	}
	warnShared(path, flag, log)
	return s, nil
}

// maxCredentialFile bounds a credential file (a token, a JIT config, an
// App key): a JIT config, the largest, is a few KiB (at most 256 KiB).
const maxCredentialFile = 1 << 20

// ConnectTokenOnly returns a client for o.URL that holds no API
// credential: its calls authenticate with the pre-minted token each one
// is given (DeleteRunnerWithRemoveToken).
func ConnectTokenOnly(o ConnectOptions) (*Client, error) {
	opts, err := o.options()
	if err != nil {
		return nil, err
	}
	return New(opts)
}

// DeleteRunnerWithRemoveToken deletes runner id with a remove token, as
// the runner's own `config.sh remove` does in the runner-admin flow
// (RunnerDotcomServer.DeleteRunnerAsync: DELETE
// {api}/{scope}/actions/runners/{id}, "Authorization: RemoteAuth TOKEN").
// No runner code runs and nothing in the runner directory is read: the id
// is the trusted record's. Gone already is ErrNotFound; a runner running a
// job is ErrBusy.
func (c *Client) DeleteRunnerWithRemoveToken(ctx context.Context, id int64, tok secret.Secret) error {
	op := fmt.Sprintf("delete runner %d with the remove token", id)
	if tok.Empty() {
		return failure.Wrap(failure.Usage, errors.New(op+": the token is empty"))
	}
	req, err := c.gh.NewRequest(ctx, http.MethodDelete, c.runnersPath("/"+strconv.FormatInt(id, 10)), nil)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Authorization", "RemoteAuth "+tok.Reveal())
	_, err = c.gh.Do(req, nil)
	switch code := StatusCode(err); {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return tag(ErrAuth, failure.Wrap(failure.Auth, wrapf(err, "%s: the server refused the remove token (%d): it expired (a remove token lasts one hour) or was minted for another repository, organization or enterprise than %s: mint a fresh one (runnerctl token remove --url %s)",
			op, code, c.target.Describe(), c.target.URL)))
	case code == http.StatusUnprocessableEntity:
		return tag(ErrBusy, c.classify(op, err))
	}
	return c.classify(op, err)
}

// ErrNoJIT says the server has no generate-jitconfig endpoint (GHES
// before 3.10).
var ErrNoJIT = errors.New("this server cannot mint JIT configs (generate-jitconfig needs GHES 3.10 or later): drop --jit to register with a registration token")
