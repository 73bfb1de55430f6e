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
	q := url.Values{"per_page": {strconv.Itoa(PerPage)}}
	if name != "" {
		q.Set("name", name)
	}
	var all []Runner
	for page := 1; ; {
		var got gh.Runners
		resp, err := c.raw(ctx, http.MethodGet, c.runnersPath("?"+q.Encode()), nil, &got)
		if err != nil {
			return nil, c.classify("list runners", err)
		}
		for _, r := range got.Runners {
			all = append(all, fromGH(r))
		}
		if resp.NextPage == 0 {
			return all, nil
		}
		// A Link header pointing back (or nowhere new), or a next page
		// after an empty one, would have the loop ask forever.
		if resp.NextPage <= page || len(got.Runners) == 0 || resp.NextPage > maxPages {
			return nil, fmt.Errorf("list runners: page %d of %s (%d runners) says the next page is %d: the server's pagination (Link header) does not end", page, c.target.Describe(), len(got.Runners), resp.NextPage)
		}
		page = resp.NextPage
		q.Set("page", strconv.Itoa(page))
	}
}

// maxPages bounds the pages ListRunners follows: a million runners.
const maxPages = 10_000

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
	var r gh.Runner
	if _, err := c.raw(ctx, http.MethodGet, c.runnersPath("/"+strconv.FormatInt(id, 10)), nil, &r); err != nil {
		return Runner{}, c.classify(fmt.Sprintf("get runner %d", id), err)
	}
	return fromGH(&r), nil
}

// DeleteRunner removes a runner registration by id. A runner running a
// job is not deleted: the error is ErrBusy.
func (c *Client) DeleteRunner(ctx context.Context, id int64) error {
	_, err := c.raw(ctx, http.MethodDelete, c.runnersPath("/"+strconv.FormatInt(id, 10)), nil, nil)
	err = c.classify(fmt.Sprintf("delete runner %d", id), err)
	if StatusCode(err) == http.StatusUnprocessableEntity {
		return tag(ErrBusy, err)
	}
	return err
}

// Downloads lists the runner packages the server offers.
func (c *Client) Downloads(ctx context.Context) ([]Download, error) {
	var ds []*gh.RunnerApplicationDownload
	if _, err := c.raw(ctx, http.MethodGet, c.runnersPath("/downloads"), nil, &ds); err != nil {
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
	var tok gh.RegistrationToken
	if _, err := c.raw(ctx, http.MethodPost, c.runnersPath("/registration-token"), nil, &tok); err != nil {
		return Token{}, c.classify("create registration token", err)
	}
	return Token{Value: secret.New(tok.GetToken()), ExpiresAt: tok.GetExpiresAt().Time}, nil
}

// RemoveToken mints a remove token.
func (c *Client) RemoveToken(ctx context.Context) (Token, error) {
	var tok gh.RemoveToken
	if _, err := c.raw(ctx, http.MethodPost, c.runnersPath("/remove-token"), nil, &tok); err != nil {
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
	if _, err := c.raw(withoutBlindRetry(ctx), http.MethodPost, c.runnersPath("/generate-jitconfig"), body, &out); err != nil {
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
	path := c.runnersPath("/" + strconv.FormatInt(id, 10) + "/labels" + suffix)
	if _, err := c.raw(ctx, method, path, body, &out); err != nil {
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

// runnersPath is the API path of the target's runner endpoints (the one
// place the repository / organization / enterprise prefix is chosen:
// Target.runnersPath) followed by rest ("", "/ID", "/downloads", "?...").
func (c *Client) runnersPath(rest string) string { return c.target.runnersPath() + rest }

// raw sends one request to path (relative to the API base) through
// go-github's client (headers, auth, retries, error decoding, Link
// pagination in the response) and decodes the answer into out (nil:
// nothing to decode).
func (c *Client) raw(ctx context.Context, method, path string, body, out any) (*gh.Response, error) {
	req, err := c.gh.NewRequest(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	return c.gh.Do(req, out)
}
