package github

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	gh "github.com/google/go-github/v89/github"

	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// Label is a runner label.
type Label struct {
	ID   int64  `json:"id,omitempty"`
	Name string `json:"name"`
	Type string `json:"type,omitempty"` // "read-only" or "custom"
}

// Runner is a self-hosted runner as the API reports it.
type Runner struct {
	ID        int64   `json:"id"`
	Name      string  `json:"name"`
	OS        string  `json:"os"`
	Status    string  `json:"status"`
	Busy      bool    `json:"busy"`
	Ephemeral bool    `json:"ephemeral"`
	GroupID   int64   `json:"runner_group_id,omitempty"`
	Version   string  `json:"version,omitempty"`
	Labels    []Label `json:"labels"`
}

// LabelNames returns the runner's label names.
func (r Runner) LabelNames() []string {
	out := make([]string, 0, len(r.Labels))
	for _, l := range r.Labels {
		out = append(out, l.Name)
	}
	return out
}

// Download is one runner package the server offers.
type Download struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	DownloadURL  string `json:"download_url"`
	Filename     string `json:"filename"`
	// TempDownloadToken is sent as a bearer token to DownloadURL only.
	TempDownloadToken secret.Secret `json:"-"`
	SHA256            string        `json:"sha256_checksum,omitempty"`
}

// Token is a registration or remove token.
type Token struct {
	Value     secret.Secret
	ExpiresAt time.Time
}

// JITRequest asks for a just-in-time runner configuration.
type JITRequest struct {
	Name          string
	RunnerGroupID int64
	Labels        []string
	WorkFolder    string
}

// JITConfig is a just-in-time runner and its encoded configuration.
type JITConfig struct {
	Runner  Runner
	Encoded secret.Secret
}

func fromGH(r *gh.Runner) Runner {
	out := Runner{
		ID: r.GetID(), Name: r.GetName(), OS: r.GetOS(), Status: r.GetStatus(), Busy: r.GetBusy(),
		Ephemeral: r.GetEphemeral(), GroupID: r.GetRunnerGroupID(), Version: r.GetVersion(), Labels: []Label{},
	}
	for _, l := range r.Labels {
		out.Labels = append(out.Labels, Label{ID: l.GetID(), Name: l.GetName(), Type: l.GetType()})
	}
	return out
}

// PerPage is the page size of list calls: the API's maximum.
const PerPage = 100

// ListRunners returns every runner of the target, following all pages.
// A non-empty name asks the server for that name only.
func (c *Client) ListRunners(ctx context.Context, name string) ([]Runner, error) {
	opts := &gh.ListRunnersOptions{ListOptions: gh.ListOptions{PerPage: PerPage}}
	if name != "" {
		opts.Name = &name
	}
	var all []Runner
	for {
		var page *gh.Runners
		var resp *gh.Response
		var err error
		t := c.target
		switch t.Kind {
		case Repository:
			page, resp, err = c.gh.Actions.ListRunners(ctx, t.Owner, t.Repo, opts)
		case Organization:
			page, resp, err = c.gh.Actions.ListOrganizationRunners(ctx, t.Org, opts)
		default:
			page, resp, err = c.gh.Enterprise.ListRunners(ctx, t.Enterprise, opts)
		}
		if err != nil {
			return nil, c.classify("list runners", err)
		}
		for _, r := range page.Runners {
			all = append(all, fromGH(r))
		}
		if resp.NextPage == 0 {
			return all, nil
		}
		opts.Page = resp.NextPage
	}
}

// FindRunner returns the runner with this exact name, or nil when there is none.
func (c *Client) FindRunner(ctx context.Context, name string) (*Runner, error) {
	rs, err := c.ListRunners(ctx, name)
	if err != nil {
		return nil, err
	}
	for i := range rs {
		if rs[i].Name == name {
			return &rs[i], nil
		}
	}
	return nil, nil
}

// GetRunner returns one runner by id.
func (c *Client) GetRunner(ctx context.Context, id int64) (Runner, error) {
	var r *gh.Runner
	var err error
	t := c.target
	switch t.Kind {
	case Repository:
		r, _, err = c.gh.Actions.GetRunner(ctx, t.Owner, t.Repo, id)
	case Organization:
		r, _, err = c.gh.Actions.GetOrganizationRunner(ctx, t.Org, id)
	default:
		r, _, err = c.gh.Enterprise.GetRunner(ctx, t.Enterprise, id)
	}
	if err != nil {
		return Runner{}, c.classify(fmt.Sprintf("get runner %d", id), err)
	}
	return fromGH(r), nil
}

// DeleteRunner removes a runner registration by id.
func (c *Client) DeleteRunner(ctx context.Context, id int64) error {
	var err error
	t := c.target
	switch t.Kind {
	case Repository:
		_, err = c.gh.Actions.RemoveRunner(ctx, t.Owner, t.Repo, id)
	case Organization:
		_, err = c.gh.Actions.RemoveOrganizationRunner(ctx, t.Org, id)
	default:
		_, err = c.gh.Enterprise.RemoveRunner(ctx, t.Enterprise, id)
	}
	return c.classify(fmt.Sprintf("delete runner %d", id), err)
}

// Downloads lists the runner packages the server offers.
func (c *Client) Downloads(ctx context.Context) ([]Download, error) {
	var ds []*gh.RunnerApplicationDownload
	var err error
	t := c.target
	switch t.Kind {
	case Repository:
		ds, _, err = c.gh.Actions.ListRunnerApplicationDownloads(ctx, t.Owner, t.Repo)
	case Organization:
		ds, _, err = c.gh.Actions.ListOrganizationRunnerApplicationDownloads(ctx, t.Org)
	default:
		ds, _, err = c.gh.Enterprise.ListRunnerApplicationDownloads(ctx, t.Enterprise)
	}
	if err != nil {
		return nil, c.classify("list runner downloads", err)
	}
	out := make([]Download, 0, len(ds))
	for _, d := range ds {
		out = append(out, Download{
			OS: d.GetOS(), Architecture: d.GetArchitecture(), DownloadURL: d.GetDownloadURL(), Filename: d.GetFilename(),
			TempDownloadToken: secret.New(d.GetTempDownloadToken()), SHA256: d.GetSHA256Checksum(),
		})
	}
	return out, nil
}

// RegistrationToken mints a registration token (valid for one hour).
func (c *Client) RegistrationToken(ctx context.Context) (Token, error) {
	var tok *gh.RegistrationToken
	var err error
	t := c.target
	switch t.Kind {
	case Repository:
		tok, _, err = c.gh.Actions.CreateRegistrationToken(ctx, t.Owner, t.Repo)
	case Organization:
		tok, _, err = c.gh.Actions.CreateOrganizationRegistrationToken(ctx, t.Org)
	default:
		tok, _, err = c.gh.Enterprise.CreateRegistrationToken(ctx, t.Enterprise)
	}
	if err != nil {
		return Token{}, c.classify("create registration token", err)
	}
	return Token{Value: secret.New(tok.GetToken()), ExpiresAt: tok.GetExpiresAt().Time}, nil
}

// RemoveToken mints a remove token. go-github has no enterprise call for
// it, so all scopes use the raw request path.
func (c *Client) RemoveToken(ctx context.Context) (Token, error) {
	var tok gh.RemoveToken
	if err := c.raw(ctx, http.MethodPost, c.target.runnersPath()+"/remove-token", nil, &tok); err != nil {
		return Token{}, c.classify("create remove token", err)
	}
	return Token{Value: secret.New(tok.GetToken()), ExpiresAt: tok.GetExpiresAt().Time}, nil
}

// GenerateJITConfig creates a just-in-time runner. It is never retried after
// a failure that may have reached the server: the runner may exist then.
func (c *Client) GenerateJITConfig(ctx context.Context, r JITRequest) (JITConfig, error) {
	body := gh.CreateJITConfigRequest{Name: r.Name, RunnerGroupID: r.RunnerGroupID, Labels: r.Labels}
	if r.WorkFolder != "" {
		body.WorkFolder = &r.WorkFolder
	}
	var out gh.JITRunnerConfig
	if err := c.raw(withoutBlindRetry(ctx), http.MethodPost, c.target.runnersPath()+"/generate-jitconfig", body, &out); err != nil {
		return JITConfig{}, c.classify("generate JIT config for "+strconv.Quote(r.Name), err)
	}
	var rn Runner
	if out.Runner != nil {
		rn = fromGH(out.Runner)
	}
	return JITConfig{Runner: rn, Encoded: secret.New(out.GetEncodedJITConfig())}, nil
}

type labelsBody struct {
	Labels []string `json:"labels"`
}

type labelsResp struct {
	TotalCount int                `json:"total_count"`
	Labels     []*gh.RunnerLabels `json:"labels"`
}

func toLabels(r labelsResp) []Label {
	out := make([]Label, 0, len(r.Labels))
	for _, l := range r.Labels {
		out = append(out, Label{ID: l.GetID(), Name: l.GetName(), Type: l.GetType()})
	}
	return out
}

func (c *Client) labelsCall(ctx context.Context, op, method string, id int64, suffix string, body any) ([]Label, error) {
	var out labelsResp
	path := c.target.runnersPath() + "/" + strconv.FormatInt(id, 10) + "/labels" + suffix
	if err := c.raw(ctx, method, path, body, &out); err != nil {
		return nil, c.classify(fmt.Sprintf("%s of runner %d", op, id), err)
	}
	return toLabels(out), nil
}

// ListLabels returns all labels of a runner.
func (c *Client) ListLabels(ctx context.Context, id int64) ([]Label, error) {
	return c.labelsCall(ctx, "list labels", http.MethodGet, id, "", nil)
}

// AddLabels adds custom labels to a runner and returns all its labels.
func (c *Client) AddLabels(ctx context.Context, id int64, labels []string) ([]Label, error) {
	return c.labelsCall(ctx, "add labels", http.MethodPost, id, "", labelsBody{Labels: labels})
}

// SetLabels replaces a runner's custom labels and returns all its labels.
func (c *Client) SetLabels(ctx context.Context, id int64, labels []string) ([]Label, error) {
	return c.labelsCall(ctx, "set labels", http.MethodPut, id, "", labelsBody{Labels: labels})
}

// RemoveLabel removes one custom label and returns the remaining labels.
func (c *Client) RemoveLabel(ctx context.Context, id int64, name string) ([]Label, error) {
	return c.labelsCall(ctx, "remove label "+strconv.Quote(name), http.MethodDelete, id, "/"+url.PathEscape(name), nil)
}

// RemoveAllLabels removes every custom label and returns the read-only ones left.
func (c *Client) RemoveAllLabels(ctx context.Context, id int64) ([]Label, error) {
	return c.labelsCall(ctx, "remove custom labels", http.MethodDelete, id, "", nil)
}

// raw sends a request go-github has no method for, through the same client
// (headers, auth, retries).
func (c *Client) raw(ctx context.Context, method, path string, body, out any) error {
	req, err := c.gh.NewRequest(ctx, method, path, body)
	if err != nil {
		return err
	}
	_, err = c.gh.Do(req, out)
	return err
}
