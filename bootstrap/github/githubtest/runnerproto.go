package githubtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The runner protocol: what a runner (the fake Runner.Listener of
// bootstrap/runner/runnertest) says to the server. The real runner posts
// its registration token to {api}/actions/runner-registration with
// "Authorization: RemoteAuth <token>", then talks to the Actions service
// with the credential it got back. The fake folds that into three calls:
//
//	POST {api}/actions/runner-registration  RemoteAuth <registration or remove token>
//	     {"url", "runner_event": "register"|"remove", "name", "labels", ...}
//	     (remove also carries X-Runner-Credential: Bearer <runner credential>:
//	     the real runner deletes itself with its own credentials)
//	POST /_runner/heartbeat                 Bearer <runner credential>   → {"job", "exit", "heartbeat_ms"}
//	POST /_runner/jobs/{id}/complete        Bearer <runner credential>
//
// A runner registered this way is online while it heartbeats: its status
// turns offline when no heartbeat came for three intervals (SetOfflineAfter).

// RunnerCredentialHeader carries the runner's own credential on a remove.
const RunnerCredentialHeader = "X-Runner-Credential"

// RegisterRequest is the body of a runner-registration call.
type RegisterRequest struct {
	URL             string   `json:"url"`
	Event           string   `json:"runner_event"`
	Name            string   `json:"name"`
	Labels          []string `json:"labels"`
	NoDefaultLabels bool     `json:"no_default_labels"`
	Group           string   `json:"runner_group"`
	OS              string   `json:"os"`
	Arch            string   `json:"arch"`
	Version         string   `json:"version"`
	Ephemeral       bool     `json:"ephemeral"`
	Replace         bool     `json:"replace"`
	DisableUpdate   bool     `json:"disable_update"`
	RunnerID        int64    `json:"runner_id"` // remove
}

// RegisterResponse is what a registration returns.
type RegisterResponse struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	PoolID      int64  `json:"pool_id"`
	PoolName    string `json:"pool_name"`
	Credential  string `json:"credential"`
	ServerURL   string `json:"server_url"`
	HeartbeatMS int64  `json:"heartbeat_ms"`
}

// HeartbeatResponse is what a heartbeat returns.
type HeartbeatResponse struct {
	// Job is a job id to run, 0 for none.
	Job int64 `json:"job"`
	// Exit asks the listener to exit with this code (a fault knob: 2 is a
	// retryable error, 3 a staged self-update, 5 a session conflict).
	Exit        int   `json:"exit"`
	HeartbeatMS int64 `json:"heartbeat_ms"`
}

// SetHeartbeat sets the heartbeat interval runners are told to use.
func (s *Server) SetHeartbeat(d time.Duration) { s.mu.Lock(); s.heartbeat = d; s.mu.Unlock() }

// RefuseName makes registrations with this runner name fail with reason.
func (s *Server) RefuseName(name, reason string) {
	s.mu.Lock()
	s.refused[name] = reason
	s.mu.Unlock()
}

// QueueJob gives the runner named name in scope a job at its next
// heartbeat and returns the job id (0 if there is no such runner).
func (s *Server) QueueJob(scope, name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.runners {
		if r.Scope == scope && r.Name == name {
			id := s.nextJob
			s.nextJob++
			r.jobs = append(r.jobs, id)
			return id
		}
	}
	return 0
}

// ExitNext makes the next heartbeat of the runner named name tell its
// listener to exit with code. It reports whether the runner exists.
func (s *Server) ExitNext(scope, name string, code int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.runners {
		if r.Scope == scope && r.Name == name {
			r.exitNext = code
			return true
		}
	}
	return false
}

// FailAfterRegister makes the next registration of name succeed on the
// server and then answer 500, as a runner that fails after the server
// call (once: the registration after it goes through).
func (s *Server) FailAfterRegister(name string) { s.mu.Lock(); s.failAfter[name] = true; s.mu.Unlock() }

// HoldOffline keeps the runner named name offline even while it
// heartbeats (a runner that never shows online, for timeout tests).
func (s *Server) HoldOffline(name string) { s.mu.Lock(); s.held[name] = true; s.mu.Unlock() }

// ExpireNextTokens makes the next n minted registration or remove tokens
// expire at once.
func (s *Server) ExpireNextTokens(n int) { s.mu.Lock(); s.expireNext = n; s.mu.Unlock() }

// MintedTokens returns every registration, remove and App installation token minted so far
// (for tests that check no token leaked into argv, logs or files).
func (s *Server) MintedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for t := range s.regToks {
		out = append(out, t)
	}
	for t := range s.remToks {
		out = append(out, t)
	}
	return append(out, s.appToks...)
}

// refreshLocked derives the status of protocol-registered runners from
// their heartbeats.
func (s *Server) refreshLocked() {
	now := s.now()
	for _, r := range s.runners {
		if !r.viaProtocol {
			continue
		}
		// A runner running a job stays online until it reports the job
		// done (the listener does not poll while a job runs).
		after := s.offlineAfter
		if after <= 0 {
			after = 3 * s.heartbeat
		}
		if !r.LastSeen.IsZero() && (now.Sub(r.LastSeen) < after || r.job != 0) && !s.held[r.Name] {
			r.Status = "online"
		} else {
			r.Status, r.Busy = "offline", false
		}
	}
}

// scopeOfURL maps a runner's --url to a scope: /o/r, /o, /enterprises/e.
func scopeOfURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch {
	case len(parts) == 2 && parts[0] == "enterprises":
		return "enterprises/" + parts[1]
	case len(parts) == 2:
		return "repos/" + parts[0] + "/" + parts[1]
	case len(parts) == 1 && parts[0] != "":
		return "orgs/" + parts[0]
	}
	return ""
}

func (s *Server) runnerRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v3/actions/runner-registration", s.runnerRegistration)
	mux.HandleFunc("POST /_runner/heartbeat", s.withCredential(s.heartbeatHandler))
	mux.HandleFunc("POST /_runner/jobs/{job}/complete", s.withCredential(s.completeJob))
	s.versionRoutes(mux)
	mux.HandleFunc("POST /_fake/jobs", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Scope, Name string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, "want {scope, name}", http.StatusBadRequest)
			return
		}
		id := s.QueueJob(req.Scope, req.Name)
		if id == 0 {
			http.Error(w, "no such runner", http.StatusNotFound)
			return
		}
		writeJSON(w, http.StatusOK, map[string]int64{"job": id})
	})
	mux.HandleFunc("POST /_fake/refuse", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Name, Reason string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Name == "" {
			http.Error(w, "want {name, reason}", http.StatusBadRequest)
			return
		}
		s.RefuseName(req.Name, req.Reason)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_fake/exit", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Scope, Name string
			Code        int
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !s.ExitNext(req.Scope, req.Name, req.Code) {
			http.Error(w, "want {scope, name, code} of an existing runner", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *Server) runnerRegistration(w http.ResponseWriter, r *http.Request) {
	var req RegisterRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "RemoteAuth ")
	scope := scopeOfURL(req.URL)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Time: s.now(), Method: r.Method, Path: r.URL.Path,
		Authorization: r.Header.Get("Authorization"), UserAgent: r.Header.Get("User-Agent")})
	minted := s.regToks
	if req.Event == "remove" {
		minted = s.remToks
	}
	m, known := minted[tok]
	switch {
	case !ok || !known || m.scope != scope:
		writeError(w, http.StatusUnauthorized, "Bad credentials: the token is not a "+req.Event+" token for "+req.URL)
		return
	case !s.now().Before(m.expires):
		writeError(w, http.StatusUnauthorized, "The token has expired")
		return
	}
	if req.Event == "remove" {
		rn := s.runners[req.RunnerID]
		if rn == nil || rn.Scope != scope {
			writeError(w, http.StatusNotFound, "Runner not found")
			return
		}
		if cred, _ := strings.CutPrefix(r.Header.Get(RunnerCredentialHeader), "Bearer "); rn.viaProtocol && (cred == "" || cred != rn.credential) {
			writeError(w, http.StatusUnauthorized, "Runner "+rn.Name+": the runner's own credentials are required to remove it")
			return
		}
		if rn.Busy {
			writeError(w, http.StatusUnprocessableEntity, "Runner "+rn.Name+" is still running a job")
			return
		}
		delete(s.runners, rn.ID)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if req.Event != "register" || req.Name == "" {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed: runner_event register|remove and name are required")
		return
	}
	if why := s.versionRefusalLocked(req.Version, "register"); why != "" {
		writeError(w, http.StatusNotFound, why)
		return
	}
	if reason, bad := s.refused[req.Name]; bad {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed: runner name "+strconv.Quote(req.Name)+" is not allowed: "+reason)
		return
	}
	if req.Group != "" && !strings.EqualFold(req.Group, "default") {
		writeError(w, http.StatusNotFound, "Could not find any self-hosted runner group named "+strconv.Quote(req.Group))
		return
	}
	for _, old := range s.runners {
		if old.Scope == scope && old.Name == req.Name {
			if !req.Replace {
				writeError(w, http.StatusConflict, "A runner exists with the same name "+strconv.Quote(req.Name)+".")
				return
			}
			delete(s.runners, old.ID)
		}
	}
	osName := req.OS
	if osName == "" {
		osName = "Linux"
	}
	id := s.addRunnerLocked(Runner{Name: req.Name, Scope: scope, OS: osName, Arch: req.Arch, Labels: req.Labels,
		NoDefaultLabels: req.NoDefaultLabels, Ephemeral: req.Ephemeral, Version: req.Version})
	rn := s.runners[id]
	rn.viaProtocol = true
	rn.credential = "cred-" + randomToken()
	if s.failAfter[req.Name] {
		delete(s.failAfter, req.Name) // once
		writeError(w, http.StatusInternalServerError, "Internal error after the runner was added")
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	writeJSON(w, http.StatusCreated, RegisterResponse{ID: id, Name: rn.Name, PoolID: 1, PoolName: "Default",
		Credential: rn.credential, ServerURL: scheme + "://" + r.Host + "/_runner/", HeartbeatMS: s.heartbeat.Milliseconds()})
}

// withCredential resolves the runner by its credential; the handler runs
// with s.mu held. An unknown credential is 404: the runner was deleted.
func (s *Server) withCredential(h runnerHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cred, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, rn := range s.runners {
			if rn.viaProtocol && cred != "" && rn.credential == cred {
				h(w, r, rn)
				return
			}
		}
		writeError(w, http.StatusNotFound, "Runner not found: it was removed from the server")
	}
}

func (s *Server) heartbeatHandler(w http.ResponseWriter, r *http.Request, rn *Runner) {
	var body struct{ Version string }
	_ = json.NewDecoder(r.Body).Decode(&body)
	if body.Version != "" {
		rn.Version = body.Version // after a self-update, the listener's new one
	}
	if why := s.versionRefusalLocked(rn.Version, "message"); why != "" {
		writeError(w, http.StatusForbidden, why)
		return
	}
	rn.LastSeen = s.now()
	resp := HeartbeatResponse{HeartbeatMS: s.heartbeat.Milliseconds()}
	switch {
	case rn.exitNext != 0:
		resp.Exit, rn.exitNext = rn.exitNext, 0
	case rn.job == 0 && len(rn.jobs) > 0:
		rn.job, rn.jobs = rn.jobs[0], rn.jobs[1:]
		resp.Job = rn.job
	}
	rn.Busy = rn.job != 0
	s.refreshLocked()
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) completeJob(w http.ResponseWriter, r *http.Request, rn *Runner) {
	job, _ := strconv.ParseInt(r.PathValue("job"), 10, 64)
	if job == 0 || rn.job != job {
		writeError(w, http.StatusNotFound, "Job not found")
		return
	}
	rn.job, rn.Busy = 0, false
	if rn.Ephemeral {
		// An ephemeral runner is removed by the server after its job.
		delete(s.runners, rn.ID)
	}
	w.WriteHeader(http.StatusNoContent)
}
