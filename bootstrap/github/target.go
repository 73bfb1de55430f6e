package github

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/runnerctl/runnerctl/bootstrap/failure"
)

// ScopeKind is the level a runner registers at.
type ScopeKind int

const (
	// Repository scope: https://HOST/OWNER/REPO.
	Repository ScopeKind = iota + 1
	// Organization scope: https://HOST/ORG.
	Organization
	// Enterprise scope: https://HOST/enterprises/SLUG.
	Enterprise
)

func (k ScopeKind) String() string {
	switch k {
	case Repository:
		return "repository"
	case Organization:
		return "organization"
	case Enterprise:
		return "enterprise"
	}
	return "unknown"
}

// ClassicScope is the classic PAT scope the runner endpoints need at this level.
func (k ScopeKind) ClassicScope() string {
	switch k {
	case Repository:
		return "repo"
	case Organization:
		return "admin:org"
	case Enterprise:
		return "manage_runners:enterprise"
	}
	return ""
}

// Permission is the fine-grained token / GitHub App permission needed at this level.
func (k ScopeKind) Permission() string {
	switch k {
	case Repository:
		return `repository permission "Administration: read and write"`
	case Organization:
		return `organization permission "Self-hosted runners: read and write"`
	case Enterprise:
		return "none: fine-grained tokens and GitHub Apps cannot manage enterprise runners, use a classic PAT"
	}
	return ""
}

// Target is where runners are registered: the web URL the runner's config.sh
// is given, the scope it denotes and the REST API base that serves it.
type Target struct {
	// URL is the web URL, normalised (no trailing slash).
	URL string
	// Kind is the scope.
	Kind ScopeKind
	// Owner and Repo are set at repository scope, Org at organization
	// scope, Enterprise at enterprise scope.
	Owner, Repo, Org, Enterprise string
	// APIBase is the REST base URL, ending in a slash.
	APIBase *url.URL
}

// ScopeName is the official service-name component for this target:
// "owner-repo", "org" or "enterprises-slug" (runner-contract.md §4.1).
func (t Target) ScopeName() string {
	var s string
	switch t.Kind {
	case Repository:
		s = t.Owner + "/" + t.Repo
	case Organization:
		s = t.Org
	case Enterprise:
		s = "enterprises/" + t.Enterprise
	}
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// Describe names the target for messages: `organization "acme"`.
func (t Target) Describe() string {
	switch t.Kind {
	case Repository:
		return fmt.Sprintf("repository %q", t.Owner+"/"+t.Repo)
	case Organization:
		return fmt.Sprintf("organization %q", t.Org)
	case Enterprise:
		return fmt.Sprintf("enterprise %q", t.Enterprise)
	}
	return "unknown target"
}

// runnersPath is the API path prefix of the runner endpoints, without a trailing slash.
func (t Target) runnersPath() string {
	switch t.Kind {
	case Repository:
		return "repos/" + url.PathEscape(t.Owner) + "/" + url.PathEscape(t.Repo) + "/actions/runners"
	case Organization:
		return "orgs/" + url.PathEscape(t.Org) + "/actions/runners"
	default:
		return "enterprises/" + url.PathEscape(t.Enterprise) + "/actions/runners"
	}
}

const acceptedShapes = `accepted --url shapes:
  https://HOST/OWNER/REPO           repository runners
  https://HOST/ORG                  organization runners
  https://HOST/enterprises/SLUG     enterprise runners
(http:// only to a loopback host, e.g. a local test server, unless --insecure-http)`

// nameChars is what GitHub allows in owner, repository and enterprise names.
var nameChars = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

func usageErr(format string, args ...any) error {
	return failure.Wrap(failure.Usage, fmt.Errorf("parse --url: "+format+"\n"+acceptedShapes, args...))
}

// ParseTarget derives the scope and API base from the web URL. apiURL, when
// not empty, overrides the derived API base.
func ParseTarget(raw, apiURL string) (Target, error) {
	if strings.TrimSpace(raw) == "" {
		return Target{}, usageErr("no URL given (set --url or RUNNERCTL_URL)")
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return Target{}, usageErr("%q is not a URL: %v", raw, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return Target{}, usageErr("%q: the scheme must be https or http", raw)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return Target{}, usageErr("%q: expected a host and a path only (no user, query or fragment)", raw)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			return Target{}, usageErr("%q: the path must name an owner, a repository or an enterprise", raw)
		}
	}
	t := Target{}
	switch {
	case len(parts) == 2 && strings.EqualFold(parts[0], "enterprises"):
		t.Kind, t.Enterprise = Enterprise, parts[1]
	case len(parts) == 1 && strings.EqualFold(parts[0], "enterprises"):
		return Target{}, usageErr("%q: an enterprise URL needs the enterprise slug", raw)
	case len(parts) == 2:
		t.Kind, t.Owner, t.Repo = Repository, parts[0], strings.TrimSuffix(parts[1], ".git")
	case len(parts) == 1:
		t.Kind, t.Org = Organization, parts[0]
	default:
		return Target{}, usageErr("%q: the path has %d parts", raw, len(parts))
	}
	// Names as GitHub makes them: one path segment each, so that the API
	// paths built from them stay the target's ("..git" would be repository
	// "." and "...git" ".."), and the URL kept in the record parses back
	// to the same target ("a%3Fb" is no name, "b.git.git" would become "b").
	for _, n := range []string{t.Owner, t.Repo, t.Org, t.Enterprise} {
		if n != "" && (!nameChars.MatchString(n) || n == "." || n == ".." || strings.HasSuffix(n, ".git")) {
			return Target{}, usageErr("%q: %q is not a GitHub name (letters, digits, '.', '-', '_'; not ending in .git)", raw, n)
		}
	}
	if t.Kind == Repository && t.Repo == "" {
		return Target{}, usageErr("%q: the path must name an owner, a repository or an enterprise", raw)
	}
	host := strings.ToLower(u.Hostname())
	web := &url.URL{Scheme: u.Scheme, Host: u.Host}
	t.URL = web.String() + "/" + strings.Join(parts[:len(parts)-1], "/")
	if len(parts) > 1 {
		t.URL += "/"
	}
	t.URL += parts[len(parts)-1]
	if t.Kind == Repository {
		t.URL = strings.TrimSuffix(t.URL, ".git")
	}

	var base *url.URL
	if apiURL != "" {
		base, err = url.Parse(apiURL)
		if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
			return Target{}, failure.Wrap(failure.Usage, fmt.Errorf("parse --api-url: %q is not an http(s) URL", apiURL))
		}
	} else {
		switch {
		case host == "github.com" || host == "www.github.com":
			base = &url.URL{Scheme: u.Scheme, Host: "api.github.com"}
		case strings.HasSuffix(host, ".ghe.com"):
			base = &url.URL{Scheme: u.Scheme, Host: "api." + strings.TrimPrefix(u.Host, "api.")}
		default:
			base = &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/api/v3"}
		}
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	t.APIBase = base
	return t, nil
}
