package githubtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GitHub Apps, as GitHub serves them: JWT-authenticated endpoints (GET
// /app, the installation lookups, POST .../access_tokens) that verify an
// RS256 JWT against the App's public key (iss = the App id; iat not in
// the future; exp in the future, at most 10 minutes ahead and 10 minutes
// after iat), and installation tokens (one hour) that the runner
// endpoints accept only for the installation's account (and its selected
// repositories) and only with the permission the endpoint needs:
// administration (repository scope) or organization_self_hosted_runners
// (organization scope), read for GET, write otherwise. Enterprise
// runners are not reachable with an App (404 for the installation, 403
// for the endpoints).

// App is a GitHub App registered with the fake.
type App struct {
	ID   int64
	Slug string
	Key  *rsa.PublicKey
}

// Installation is an App's installation on an account (organization or
// user) and, with Repositories, on some of its repositories only.
type Installation struct {
	ID, AppID int64
	Account   string
	// Repositories are the selected repositories (names); nil: all.
	Repositories []string
	// Permissions as GitHub names them: "administration": "write", ...
	Permissions map[string]string
}

// AppPermissions are the permissions an installation needs to manage
// runners at both repository and organization scope.
var AppPermissions = map[string]string{"administration": "write", "organization_self_hosted_runners": "write", "metadata": "read"}

// NewAppKey returns a fresh 2048-bit RSA key and its PKCS #1 PEM, as
// GitHub generates App private keys.
func NewAppKey() (*rsa.PrivateKey, []byte) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// AddApp registers an App with its public key.
func (s *Server) AddApp(a App) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.apps == nil {
		s.apps = map[int64]*App{}
	}
	cp := a
	s.apps[a.ID] = &cp
}

// AddInstallation installs an App (its id is given, or assigned and returned).
func (s *Server) AddInstallation(in Installation) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.installations == nil {
		s.installations = map[int64]*Installation{}
	}
	if in.ID == 0 {
		in.ID = 1000 + int64(len(s.installations)) + 1
	}
	cp := in
	cp.Repositories = slices.Clone(in.Repositories)
	cp.Permissions = maps.Clone(in.Permissions)
	s.installations[in.ID] = &cp
	return in.ID
}

// covers reports whether the installation reaches scope ("orgs/o", "repos/o/r").
func (in *Installation) covers(scope string) bool {
	parts := strings.Split(scope, "/")
	switch {
	case len(parts) == 2 && parts[0] == "orgs":
		return parts[1] == in.Account
	case len(parts) == 3 && parts[0] == "repos":
		return parts[1] == in.Account && (in.Repositories == nil || slices.Contains(in.Repositories, parts[2]))
	}
	return false
}

// permissionFor is the permission the runner endpoints of scope need.
func permissionFor(scope string) string {
	if strings.HasPrefix(scope, "repos/") {
		return "administration"
	}
	return "organization_self_hosted_runners"
}

// installationAllowsLocked answers a runner endpoint request made with an
// installation token: 0 when allowed, else the status and message.
func (s *Server) installationAllowsLocked(tok tokenInfo, scope, method string) (int, string, string) {
	in := s.installations[tok.installation]
	if in == nil {
		return http.StatusUnauthorized, "Bad credentials", ""
	}
	repo, isRepo := strings.CutPrefix(scope, "repos/"+in.Account+"/")
	switch {
	case strings.HasPrefix(scope, "enterprises/"):
		return http.StatusForbidden, "Resource not accessible by integration", ""
	case !in.covers(scope), isRepo && tok.repos != nil && !slices.Contains(tok.repos, repo):
		return http.StatusNotFound, "Not Found", ""
	}
	need := permissionFor(scope)
	have := tok.perms[need]
	if have == "write" || (method == http.MethodGet && have == "read") {
		return 0, "", ""
	}
	level := "write"
	if method == http.MethodGet {
		level = "read"
	}
	return http.StatusForbidden, "Resource not accessible by integration", need + "=" + level
}

// jwtError is a refused JWT: GitHub's status and message.
type jwtError struct {
	status int
	msg    string
}

// verifyJWTLocked checks tok as GitHub checks an App's JWT and returns the App.
func (s *Server) verifyJWTLocked(tok string) (*App, *jwtError) {
	undecodable := &jwtError{http.StatusUnauthorized, "A JSON web token could not be decoded"}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, undecodable
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	var claims map[string]json.RawMessage
	if decodeSegment(parts[0], &hdr) != nil || decodeSegment(parts[1], &claims) != nil || hdr.Alg != "RS256" {
		return nil, undecodable
	}
	iss := strings.Trim(string(claims["iss"]), `"`)
	id, err := strconv.ParseInt(iss, 10, 64)
	if err != nil {
		return nil, &jwtError{http.StatusUnauthorized, "'Issuer' claim ('iss') must be an Integer"}
	}
	app := s.apps[id]
	if app == nil {
		return nil, &jwtError{http.StatusUnauthorized, "Integration not found"}
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err != nil || rsa.VerifyPKCS1v15(app.Key, crypto.SHA256, sum[:], sig) != nil {
		return nil, undecodable
	}
	iat, errI := strconv.ParseInt(string(claims["iat"]), 10, 64)
	exp, errE := strconv.ParseInt(string(claims["exp"]), 10, 64)
	now := s.now().Unix()
	switch {
	case errI != nil || iat > now:
		return nil, &jwtError{http.StatusUnauthorized, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"}
	case errE != nil || exp <= now:
		return nil, &jwtError{http.StatusUnauthorized, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"}
	case exp > now+600 || exp-iat > 600:
		return nil, &jwtError{http.StatusUnauthorized, "'Expiration time' claim ('exp') is too far in the future"}
	}
	return app, nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// appRoutes serve the JWT-authenticated App endpoints.
func (s *Server) appRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v3/app", s.appAPI(func(w http.ResponseWriter, r *http.Request, app *App) {
		writeJSON(w, http.StatusOK, s.appJSON(r, app))
	}))
	lookup := func(w http.ResponseWriter, r *http.Request, app *App) {
		scope := scopeOf(r)
		s.mu.Lock()
		var found *Installation
		for _, in := range s.installations {
			if in.AppID == app.ID && s.scopes[scope] && in.covers(scope) {
				found = in
			}
		}
		s.mu.Unlock()
		if found == nil {
			writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		writeJSON(w, http.StatusOK, s.installationJSON(r, app, found))
	}
	mux.HandleFunc("GET /api/v3/repos/{owner}/{repo}/installation", s.appAPI(lookup))
	mux.HandleFunc("GET /api/v3/orgs/{org}/installation", s.appAPI(lookup))
	mux.HandleFunc("GET /api/v3/enterprises/{enterprise}/installation", s.appAPI(lookup))
	mux.HandleFunc("POST /api/v3/app/installations/{installation_id}/access_tokens", s.appAPI(s.accessToken))
}

// appAPI wraps a JWT-authenticated handler: the request log, the fault
// queue and the header checks of api, then the JWT.
func (s *Server) appAPI(h func(w http.ResponseWriter, r *http.Request, app *App)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !s.admit(w, r, nil) {
			return
		}
		s.mu.Lock()
		app, jerr := s.verifyJWTLocked(tok)
		s.mu.Unlock()
		if jerr != nil {
			writeError(w, jerr.status, jerr.msg)
			return
		}
		h(w, r, app)
	}
}

func (s *Server) accessToken(w http.ResponseWriter, r *http.Request, app *App) {
	id, _ := strconv.ParseInt(r.PathValue("installation_id"), 10, 64)
	var body struct {
		Repositories []string          `json:"repositories"`
		Permissions  map[string]string `json:"permissions"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.installations[id]
	if in == nil || in.AppID != app.ID {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	for _, repo := range body.Repositories {
		if !s.scopes["repos/"+in.Account+"/"+repo] || !in.covers("repos/"+in.Account+"/"+repo) {
			writeError(w, http.StatusUnprocessableEntity, "There is at least one repository that does not exist or is not accessible to the parent installation.")
			return
		}
	}
	perms := maps.Clone(in.Permissions)
	if body.Permissions != nil {
		perms = map[string]string{}
		for k, v := range body.Permissions {
			if have := in.Permissions[k]; have == "" || (v == "write" && have != "write") {
				writeError(w, http.StatusUnprocessableEntity, "The permissions requested are not granted to this installation.")
				return
			}
			perms[k] = v
		}
	}
	tok := "ghs_" + randomToken()
	exp := s.now().Add(time.Hour).UTC().Truncate(time.Second)
	s.tokens[tok] = tokenInfo{installation: in.ID, expires: exp, repos: slices.Clone(body.Repositories), perms: perms}
	s.appToks = append(s.appToks, tok)
	sel := "all"
	if in.Repositories != nil || body.Repositories != nil {
		sel = "selected"
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": tok, "expires_at": exp.Format(time.RFC3339), "permissions": perms, "repository_selection": sel})
}

// simpleUser is GitHub's simple-user object for an account.
func simpleUser(base, login string, id int64, typ string) map[string]any {
	u := base + "/api/v3/users/" + login
	return map[string]any{
		"login": login, "id": id, "node_id": base64.StdEncoding.EncodeToString([]byte(typ + ":" + login)), "avatar_url": base + "/avatars/" + login,
		"gravatar_id": "", "url": u, "html_url": base + "/" + login, "followers_url": u + "/followers", "following_url": u + "/following{/other_user}",
		"gists_url": u + "/gists{/gist_id}", "starred_url": u + "/starred{/owner}{/repo}", "subscriptions_url": u + "/subscriptions",
		"organizations_url": u + "/orgs", "repos_url": u + "/repos", "events_url": u + "/events{/privacy}", "received_events_url": u + "/received_events",
		"type": typ, "site_admin": false,
	}
}

func baseURL(r *http.Request) string { return "http://" + r.Host }

func (s *Server) appJSON(r *http.Request, app *App) map[string]any {
	base := baseURL(r)
	s.mu.Lock()
	n := 0
	for _, in := range s.installations {
		if in.AppID == app.ID {
			n++
		}
	}
	s.mu.Unlock()
	return map[string]any{
		"id": app.ID, "slug": app.Slug, "node_id": base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("App:%d", app.ID))), "client_id": fmt.Sprintf("Iv1.%016d", app.ID),
		"owner": simpleUser(base, "acme", 1, "Organization"), "name": app.Slug, "description": nil, "external_url": base,
		"html_url": base + "/github-apps/" + app.Slug, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
		"permissions": AppPermissions, "events": []string{}, "installations_count": n,
	}
}

func (s *Server) installationJSON(r *http.Request, app *App, in *Installation) map[string]any {
	base := baseURL(r)
	sel := "all"
	if in.Repositories != nil {
		sel = "selected"
	}
	s.mu.Lock()
	typ := "User"
	if s.scopes["orgs/"+in.Account] {
		typ = "Organization"
	}
	perms := maps.Clone(in.Permissions)
	s.mu.Unlock()
	return map[string]any{
		"id": in.ID, "account": simpleUser(base, in.Account, 100+in.ID, typ), "repository_selection": sel,
		"access_tokens_url": fmt.Sprintf("%s/api/v3/app/installations/%d/access_tokens", base, in.ID),
		"repositories_url":  base + "/api/v3/installation/repositories", "html_url": fmt.Sprintf("%s/organizations/%s/settings/installations/%d", base, in.Account, in.ID),
		"app_id": app.ID, "app_slug": app.Slug, "target_id": 100 + in.ID, "target_type": typ, "permissions": perms, "events": []string{},
		"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "single_file_name": nil, "suspended_by": nil, "suspended_at": nil,
	}
}
