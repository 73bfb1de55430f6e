package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Handler returns the fake's HTTP handler: the API under /api/v3 and the
// control API under /_fake/.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, prefix := range []string{
		"/api/v3/repos/{owner}/{repo}/actions/runners",
		"/api/v3/orgs/{org}/actions/runners",
		"/api/v3/enterprises/{enterprise}/actions/runners",
	} {
		mux.HandleFunc("GET "+prefix, s.api(s.listRunners))
		mux.HandleFunc("GET "+prefix+"/downloads", s.api(s.downloads))
		mux.HandleFunc("POST "+prefix+"/registration-token", s.api(s.mintToken(true)))
		mux.HandleFunc("POST "+prefix+"/remove-token", s.api(s.mintToken(false)))
		mux.HandleFunc("POST "+prefix+"/generate-jitconfig", s.api(s.generateJIT))
		mux.HandleFunc("GET "+prefix+"/{id}", s.api(s.withRunner(s.getRunner)))
		mux.HandleFunc("DELETE "+prefix+"/{id}", s.removeTokenOr(s.api(s.withRunner(s.deleteRunner))))
		mux.HandleFunc("GET "+prefix+"/{id}/labels", s.api(s.withRunner(s.labels(labelsList))))
		mux.HandleFunc("POST "+prefix+"/{id}/labels", s.api(s.withRunner(s.labels(labelsAdd))))
		mux.HandleFunc("PUT "+prefix+"/{id}/labels", s.api(s.withRunner(s.labels(labelsSet))))
		mux.HandleFunc("DELETE "+prefix+"/{id}/labels", s.api(s.withRunner(s.labels(labelsClear))))
		mux.HandleFunc("DELETE "+prefix+"/{id}/labels/{name}", s.api(s.withRunner(s.labels(labelsRemove))))
	}
	mux.HandleFunc("/api/v3/", s.api(func(w http.ResponseWriter, _ *http.Request, _ string) {
		writeError(w, http.StatusNotFound, "Not Found")
	}))
	s.appRoutes(mux)
	s.controlRoutes(mux)
	s.runnerRoutes(mux)
	return mux
}

func scopeOf(r *http.Request) string {
	switch {
	case r.PathValue("repo") != "":
		return "repos/" + r.PathValue("owner") + "/" + r.PathValue("repo")
	case r.PathValue("org") != "":
		return "orgs/" + r.PathValue("org")
	case r.PathValue("enterprise") != "":
		return "enterprises/" + r.PathValue("enterprise")
	}
	return ""
}

type scopedHandler func(w http.ResponseWriter, r *http.Request, scope string)

// admit is what every API request goes through first: the request log,
// the fault queue, and the headers GitHub (and this fake) require. locked
// runs with s.mu held, before the fault is served (api's credential
// lookup and rate count). It reports whether the request goes on.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, locked func()) bool {
	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Time: s.now(), Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Authorization: r.Header.Get("Authorization"), UserAgent: r.Header.Get("User-Agent"),
		Accept: r.Header.Get("Accept"), APIVersion: r.Header.Get("X-GitHub-Api-Version"),
	})
	var fault *Fault
	if len(s.faults) > 0 && strings.HasSuffix(r.URL.Path, s.faults[0].PathSuffix) {
		f := s.faults[0]
		s.faults = s.faults[1:]
		fault = &f
	}
	if locked != nil {
		locked()
	}
	w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat)) // the fake's clock (SetClock), as an App client sees GitHub's
	s.mu.Unlock()

	if fault != nil {
		serveFault(w, *fault)
		return false
	}
	// What GitHub refuses whatever the credential: no User-Agent
	// (403), an API version it does not serve (400); and what this
	// fake requires of its client on top: the media type and the
	// version header (runnerctl pins both).
	if r.Header.Get("User-Agent") == "" {
		writeError(w, http.StatusForbidden, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).")
		return false
	}
	if v := r.Header.Get("X-GitHub-Api-Version"); v != SupportedAPIVersion {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("API version %q is not supported (this fake requires X-GitHub-Api-Version: %s).", v, SupportedAPIVersion))
		return false
	}
	if a := r.Header.Get("Accept"); !strings.Contains(a, "application/vnd.github+json") && !strings.Contains(a, "application/vnd.github.v3+json") {
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Unsupported 'Accept' header: %q. Must accept 'application/vnd.github+json'.", a))
		return false
	}
	return true
}

// api wraps a handler with what every API request goes through (admit),
// then authentication (a PAT, or an App's installation token with its
// account and permissions) and the scope check.
func (s *Server) api(h scopedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		tok, hasTok := strings.CutPrefix(auth, "Bearer ")
		if !hasTok {
			tok, hasTok = strings.CutPrefix(auth, "token ")
		}
		scope := scopeOf(r)
		var info tokenInfo
		var known, exists, limited bool
		var retryAfter time.Duration
		var denied int
		var deniedMsg, accepted string
		if !s.admit(w, r, func() {
			info, known = s.tokens[tok]
			if known && !info.expires.IsZero() && !s.now().Before(info.expires) {
				known = false // an expired installation token
			}
			s.refreshLocked()
			exists = s.scopes[scope] && (info.scopes == nil || slices.Contains(info.scopes, scope))
			if known && info.installation != 0 && scope != "" {
				denied, deniedMsg, accepted = s.installationAllowsLocked(info, scope, r.Method)
			}
			limited = s.rateHeadersLocked(w, tok, hasTok && known)
			if !limited && hasTok && known {
				retryAfter = s.secondaryLocked("token:" + tok)
			}
		}) {
			return
		}
		if limited {
			writeError(w, http.StatusForbidden, "API rate limit exceeded for this token. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)")
			return
		}
		if retryAfter > 0 {
			writeSecondaryLimited(w, retryAfter)
			return
		}
		if !hasTok || !known {
			writeError(w, http.StatusUnauthorized, "Bad credentials")
			return
		}
		if scope != "" && !exists {
			writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		if denied != 0 {
			if accepted != "" {
				w.Header().Set("X-Accepted-GitHub-Permissions", accepted)
			}
			writeError(w, denied, deniedMsg)
			return
		}
		if info.forbidden {
			writeError(w, http.StatusForbidden, "Resource not accessible by personal access token")
			return
		}
		h(w, r, scope)
	}
}

// SupportedAPIVersion is the X-GitHub-Api-Version the fake serves.
const SupportedAPIVersion = "2022-11-28"

// rateHeadersLocked counts the request against its token's (or, without a
// valid token, the caller's 60-an-hour) budget, sets GitHub's
// X-RateLimit-* headers and reports whether the budget was already spent.
func (s *Server) rateHeadersLocked(w http.ResponseWriter, tok string, authed bool) (limited bool) {
	key, limit := "token:"+tok, s.rateLimit
	if !authed {
		key, limit = "unauthenticated", 60
	}
	now := s.now()
	rw := s.rates[key]
	if rw == nil || !now.Before(rw.reset) {
		rw = &rateWindow{reset: now.Add(time.Hour).Truncate(time.Second)}
		s.rates[key] = rw
	}
	limited = rw.used >= limit
	if !limited {
		rw.used++
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(limit-rw.used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(rw.reset.Unix(), 10))
	h.Set("X-RateLimit-Used", strconv.Itoa(rw.used))
	h.Set("X-RateLimit-Resource", "core")
	return limited
}

func serveFault(w http.ResponseWriter, f Fault) {
	if f.Reset {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
	}
	for k, v := range f.Header {
		w.Header().Set(k, v)
	}
	body := f.Body
	if body == "" {
		body = fmt.Sprintf(`{"message":%q}`, http.StatusText(f.Status))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(body))
}

func (s *Server) listRunners(w http.ResponseWriter, r *http.Request, scope string) {
	q := r.URL.Query()
	perPage := min(max(atoiDefault(q.Get("per_page"), 30), 1), 100)
	page := max(atoiDefault(q.Get("page"), 1), 1)
	s.mu.Lock()
	all := s.runnersLocked(scope, q.Get("name"))
	s.mu.Unlock()
	lo, hi := min((page-1)*perPage, len(all)), min(page*perPage, len(all))
	items := []map[string]any{}
	for i := range all[lo:hi] {
		items = append(items, runnerJSON(&all[lo+i]))
	}
	last := max((len(all)+perPage-1)/perPage, 1)
	var links []string
	link := func(p int, rel string) {
		u := *r.URL
		v := u.Query()
		v.Set("page", strconv.Itoa(p))
		v.Set("per_page", strconv.Itoa(perPage))
		u.RawQuery = v.Encode()
		links = append(links, fmt.Sprintf(`<%s%s>; rel=%q`, "http://"+r.Host, u.RequestURI(), rel))
	}
	if page < last {
		link(page+1, "next")
		link(last, "last")
	}
	if page > 1 {
		link(page-1, "prev")
		link(1, "first")
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(all), "runners": items})
}

func (s *Server) downloads(w http.ResponseWriter, _ *http.Request, _ string) {
	s.mu.Lock()
	dls := slices.Clone(s.dls)
	s.mu.Unlock()
	out := []map[string]string{}
	for _, d := range dls {
		m := map[string]string{"os": d.OS, "architecture": d.Architecture, "download_url": d.DownloadURL, "filename": d.Filename}
		if d.TempDownloadToken != "" {
			m["temp_download_token"] = d.TempDownloadToken
		}
		if d.SHA256 != "" {
			m["sha256_checksum"] = d.SHA256
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) mintToken(registration bool) scopedHandler {
	return func(w http.ResponseWriter, _ *http.Request, scope string) {
		tok := randomToken()
		s.mu.Lock()
		exp := s.now().Add(s.tokenTTL)
		if s.expireNext > 0 {
			s.expireNext--
			exp = s.now().Add(-time.Second)
		}
		if registration {
			s.regToks[tok] = mintedToken{scope: scope, expires: exp}
		} else {
			s.remToks[tok] = mintedToken{scope: scope, expires: exp}
		}
		s.mu.Unlock()
		writeJSON(w, http.StatusCreated, map[string]string{"token": tok, "expires_at": exp.UTC().Format(time.RFC3339)})
	}
}

func (s *Server) generateJIT(w http.ResponseWriter, r *http.Request, scope string) {
	var body struct {
		Name          string   `json:"name"`
		RunnerGroupID int64    `json:"runner_group_id"`
		Labels        []string `json:"labels"`
		WorkFolder    string   `json:"work_folder"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Name == "" || body.RunnerGroupID == 0 || len(body.Labels) == 0 || len(body.Labels) > 100 {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed: name, runner_group_id and 1-100 labels are required")
		return
	}
	s.mu.Lock()
	if len(s.runnersLocked(scope, body.Name)) > 0 {
		s.mu.Unlock()
		writeError(w, http.StatusConflict, "Already exists - A runner with the name "+body.Name+" already exists.")
		return
	}
	id := s.addRunnerLocked(Runner{Name: body.Name, GroupID: body.RunnerGroupID, Labels: body.Labels, Ephemeral: true, Scope: scope})
	work := body.WorkFolder
	if work == "" {
		work = "_work"
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	files := s.jitFilesLocked(scheme+"://"+r.Host, s.runners[id], work)
	rn := *s.runners[id]
	s.mu.Unlock()
	enc := encodeJIT(files)
	writeJSON(w, http.StatusCreated, map[string]any{"runner": runnerJSON(&rn), "encoded_jit_config": enc})
}

type runnerHandler func(w http.ResponseWriter, r *http.Request, rn *Runner)

// withRunner resolves {id} in scope; the handler runs with s.mu held.
func (s *Server) withRunner(h runnerHandler) scopedHandler {
	return func(w http.ResponseWriter, r *http.Request, scope string) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		s.mu.Lock()
		defer s.mu.Unlock()
		rn := s.runners[id]
		if err != nil || rn == nil || rn.Scope != scope {
			writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		h(w, r, rn)
	}
}

func (s *Server) getRunner(w http.ResponseWriter, _ *http.Request, rn *Runner) {
	writeJSON(w, http.StatusOK, runnerJSON(rn))
}

func (s *Server) deleteRunner(w http.ResponseWriter, _ *http.Request, rn *Runner) {
	if rn.Busy {
		writeError(w, http.StatusUnprocessableEntity, "Bad request - Runner \""+rn.Name+"\" is still running a job\"")
		return
	}
	delete(s.runners, rn.ID)
	w.WriteHeader(http.StatusNoContent)
}

type labelOp int

const (
	labelsList labelOp = iota
	labelsAdd
	labelsSet
	labelsClear
	labelsRemove
)

func (s *Server) labels(op labelOp) runnerHandler {
	return func(w http.ResponseWriter, r *http.Request, rn *Runner) {
		var body struct {
			Labels []string `json:"labels"`
		}
		if op == labelsAdd || op == labelsSet {
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil || (op == labelsAdd && len(body.Labels) == 0) || len(body.Labels) > 100 {
				writeError(w, http.StatusUnprocessableEntity, "Validation Failed: labels must be a list of 1-100 names")
				return
			}
		}
		switch op {
		case labelsAdd:
			for _, l := range body.Labels {
				if !slices.Contains(rn.Labels, l) {
					rn.Labels = append(rn.Labels, l)
				}
			}
		case labelsSet:
			rn.Labels = slices.Compact(slices.Clone(body.Labels))
		case labelsClear:
			rn.Labels = nil
		case labelsRemove:
			name, _ := url.PathUnescape(r.PathValue("name"))
			// GitHub keeps self-hosted, the OS and the architecture: a
			// read-only label is not removed (422), an absent one is 404.
			if slices.ContainsFunc(readOnlyLabels(rn), func(l string) bool { return strings.EqualFold(l, name) }) {
				writeError(w, http.StatusUnprocessableEntity, "Validation Failed: the read-only label "+strconv.Quote(name)+" cannot be removed from a runner")
				return
			}
			i := slices.Index(rn.Labels, name)
			if i < 0 {
				writeError(w, http.StatusNotFound, "Not Found")
				return
			}
			rn.Labels = slices.Delete(rn.Labels, i, i+1)
		}
		ls := labelsJSON(rn)
		writeJSON(w, http.StatusOK, map[string]any{"total_count": len(ls), "labels": ls})
	}
}
