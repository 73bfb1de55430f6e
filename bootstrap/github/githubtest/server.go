package githubtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Token is the PAT the fake accepts by default.
const Token = "ghp_fakeGHESaccessToken0123456789"

// Runner is a registered runner.
type Runner struct {
	ID        int64
	Name      string
	OS        string
	Status    string // "online" or "offline"
	Busy      bool
	Ephemeral bool
	GroupID   int64
	Version   string
	Labels    []string // custom labels; read-only ones are derived from OS
	Scope     string
	// Arch is the read-only architecture label (default X64).
	Arch string
	// NoDefaultLabels drops the read-only labels (config.sh --no-default-labels).
	NoDefaultLabels bool
	// LastSeen is the last heartbeat of a runner registered through the
	// runner protocol (see runnerproto.go); such a runner is online only
	// while it heartbeats.
	LastSeen time.Time

	viaProtocol bool
	credential  string
	jobs        []int64 // queued job ids
	job         int64   // running job id, 0 when idle
	exitNext    int     // exit code the next heartbeat asks for, 0 for none
}

// Download is an entry of the downloads list.
type Download struct {
	OS, Architecture, DownloadURL, Filename, TempDownloadToken, SHA256 string
}

// Fault is a canned response given instead of the real one.
type Fault struct {
	Status int
	Header map[string]string
	Body   string
	// Reset closes the connection without a response.
	Reset bool
	// PathSuffix, when set, holds the fault (and those queued after it)
	// until a request whose path ends with it.
	PathSuffix string
}

// Request is one request the fake API saw.
type Request struct {
	Time          time.Time
	Method, Path  string
	RawQuery      string
	Authorization string
	UserAgent     string
	Accept        string
	APIVersion    string
}

// Server is the fake. Create it with New; all methods are safe for concurrent use.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	now      func() time.Time
	scopes   map[string]bool // "repos/o/r", "orgs/o", "enterprises/e"
	tokens   map[string]tokenInfo
	runners  map[int64]*Runner
	nextID   int64
	regToks  map[string]mintedToken
	remToks  map[string]mintedToken
	faults   []Fault
	requests []Request
	dls      []Download
	tokenTTL time.Duration
	// runner protocol (runnerproto.go)
	heartbeat    time.Duration
	refused      map[string]string // runner name → reason the server gives
	minVersion   string            // runners older than this are refused (versions.go)
	nextJob      int64
	held         map[string]bool // runner names kept offline
	failAfter    map[string]bool // runner names whose registration fails after it is made
	expireNext   int             // minted tokens that expire at once
	offlineAfter time.Duration   // no heartbeat for this long → offline; 0: 3 heartbeats
	rateLimit    int             // requests per hour per token (GitHub: 5000)
	rates        map[string]*rateWindow
	secondary    secondaryState    // ratelimit.go
	origins      []*Origin         // started by ServeDownloadsOverTLS, stopped by Close
	moved        map[string][]byte // the bytes those origins serve, by download URL
	// GitHub Apps (apps.go)
	apps          map[int64]*App
	installations map[int64]*Installation
	appToks       []string // installation tokens minted
}

type tokenInfo struct {
	forbidden bool
	scopes    []string // a fine-grained PAT's resources; nil: every scope (a classic PAT is user-wide)
	// An App's installation token: its installation (apps.go), end,
	// repositories (nil: the installation's) and permissions.
	installation int64
	expires      time.Time
	repos        []string
	perms        map[string]string
}

// rateWindow is one rate-limit bucket (a token, or an IP for bad credentials).
type rateWindow struct {
	used  int
	reset time.Time
}

type mintedToken struct {
	scope   string
	expires time.Time
}

// New starts a fake on a loopback port with the scopes repos/acme/app,
// orgs/acme and enterprises/big, and Token as a valid PAT.
func New() *Server {
	s := NewUnstarted()
	s.Start()
	return s
}

// NewUnstarted returns a fake that is not listening yet (see httptest.NewUnstartedServer).
func NewUnstarted() *Server {
	s := &Server{
		now:       time.Now,
		scopes:    map[string]bool{"repos/acme/app": true, "orgs/acme": true, "enterprises/big": true},
		tokens:    map[string]tokenInfo{Token: {}},
		runners:   map[int64]*Runner{},
		nextID:    1,
		regToks:   map[string]mintedToken{},
		remToks:   map[string]mintedToken{},
		tokenTTL:  time.Hour,
		heartbeat: 500 * time.Millisecond,
		refused:   map[string]string{},
		held:      map[string]bool{},
		failAfter: map[string]bool{},
		nextJob:   1,
		rateLimit: 5000,
		rates:     map[string]*rateWindow{},
	}
	s.Server = httptest.NewUnstartedServer(s.Handler())
	return s
}

// SetClock replaces the clock (token expiry).
func (s *Server) SetClock(now func() time.Time) { s.mu.Lock(); s.now = now; s.mu.Unlock() }

// AddScope makes a repository ("repos/o/r"), organization ("orgs/o") or enterprise ("enterprises/e") exist.
func (s *Server) AddScope(scope string) { s.mu.Lock(); s.scopes[scope] = true; s.mu.Unlock() }

// AddToken adds a PAT. A forbidden token authenticates but lacks the permission (403).
func (s *Server) AddToken(tok string, forbidden bool) {
	s.mu.Lock()
	s.tokens[tok] = tokenInfo{forbidden: forbidden}
	s.mu.Unlock()
}

// AddTokenFor adds a fine-grained PAT that reaches only these scopes
// ("repos/o/r", "orgs/o", "enterprises/e"): elsewhere the fake answers
// 404, as GitHub does for a resource the token cannot see. Registration
// and remove tokens are always bound to the scope they were minted for.
func (s *Server) AddTokenFor(tok string, scopes ...string) {
	s.mu.Lock()
	s.tokens[tok] = tokenInfo{scopes: slices.Clone(scopes)}
	s.mu.Unlock()
}

// SetRateLimit sets the requests per hour each token may make (default
// 5000, GitHub's for a PAT); unauthenticated callers get 60.
func (s *Server) SetRateLimit(n int) { s.mu.Lock(); s.rateLimit = n; s.mu.Unlock() }

// SetOfflineAfter sets how long a protocol-registered runner stays online
// after its last heartbeat (default: three heartbeat intervals).
func (s *Server) SetOfflineAfter(d time.Duration) { s.mu.Lock(); s.offlineAfter = d; s.mu.Unlock() }

// APIURL is the REST base, like https://HOST/api/v3.
func (s *Server) APIURL() string { return s.URL + "/api/v3" }

// AddRunner registers a runner in scope and returns its id.
func (s *Server) AddRunner(r Runner) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addRunnerLocked(r)
}

func (s *Server) addRunnerLocked(r Runner) int64 {
	r.ID = s.nextID
	s.nextID++
	if r.OS == "" {
		r.OS = "Linux"
	}
	if r.Status == "" {
		r.Status = "offline"
	}
	if r.GroupID == 0 {
		r.GroupID = 1
	}
	if r.Arch == "" {
		r.Arch = "X64"
	}
	cp := r
	cp.Labels = slices.Clone(r.Labels)
	s.runners[r.ID] = &cp
	return r.ID
}

// Runners returns the runners of scope, by id.
func (s *Server) Runners(scope string) []Runner {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runnersLocked(scope, "")
}

func (s *Server) runnersLocked(scope, name string) []Runner {
	var out []Runner
	s.refreshLocked()
	for _, r := range s.runners {
		if r.Scope == scope && (name == "" || r.Name == name) {
			cp := *r
			cp.Labels = slices.Clone(r.Labels)
			out = append(out, cp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// SetRunnerStatus sets a runner's status and busy flag.
func (s *Server) SetRunnerStatus(id int64, status string, busy bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.runners[id]; r != nil {
		r.Status, r.Busy = status, busy
	}
}

// SetLabels sets a runner's custom labels, as the web UI would.
func (s *Server) SetLabels(id int64, labels []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.runners[id]; r != nil {
		r.Labels = slices.Clone(labels)
	}
}

// SetDownloads sets the downloads list.
func (s *Server) SetDownloads(d []Download) { s.mu.Lock(); s.dls = slices.Clone(d); s.mu.Unlock() }

// PushFault queues faults: each of the next API requests gets the next fault.
func (s *Server) PushFault(f ...Fault) { s.mu.Lock(); s.faults = append(s.faults, f...); s.mu.Unlock() }

// Requests returns the API requests seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ResetRequests clears the request log.
func (s *Server) ResetRequests() { s.mu.Lock(); s.requests = nil; s.mu.Unlock() }

// ValidRegistrationToken reports whether tok is an unexpired registration token of scope.
func (s *Server) ValidRegistrationToken(scope, tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.regToks[tok]
	return ok && m.scope == scope && s.now().Before(m.expires)
}

// ValidRemoveToken reports whether tok is an unexpired remove token of scope.
func (s *Server) ValidRemoveToken(scope, tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.remToks[tok]
	return ok && m.scope == scope && s.now().Before(m.expires)
}

// ExpireTokens makes every minted registration and remove token expired.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.now().Add(-time.Second)
	for k, v := range s.regToks {
		v.expires = past
		s.regToks[k] = v
	}
	for k, v := range s.remToks {
		v.expires = past
		s.remToks[k] = v
	}
}

func randomToken() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return "A" + strings.ToUpper(hex.EncodeToString(b))
}

// readOnlyLabels are the default labels a runner reports.
func readOnlyLabels(r *Runner) []string {
	if r.NoDefaultLabels {
		return nil
	}
	arch := r.Arch
	if arch == "" {
		arch = "X64"
	}
	return []string{"self-hosted", r.OS, arch}
}

// labelID gives a stable id per label name.
func labelID(name string) int64 {
	var h int64 = 7
	for _, c := range name {
		h = (h*31 + int64(c)) % 1_000_000
	}
	return h + 1
}

type jsonLabel struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

func labelsJSON(r *Runner) []jsonLabel {
	out := []jsonLabel{}
	for _, l := range readOnlyLabels(r) {
		out = append(out, jsonLabel{ID: labelID(l), Name: l, Type: "read-only"})
	}
	for _, l := range r.Labels {
		out = append(out, jsonLabel{ID: labelID(l), Name: l, Type: "custom"})
	}
	return out
}

func runnerJSON(r *Runner) map[string]any {
	m := map[string]any{
		"id": r.ID, "name": r.Name, "os": r.OS, "status": r.Status, "busy": r.Busy,
		"ephemeral": r.Ephemeral, "runner_group_id": r.GroupID, "labels": labelsJSON(r),
	}
	if r.Version != "" {
		m["version"] = r.Version
	} else {
		m["version"] = nil
	}
	return m
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{
		"message":           msg,
		"documentation_url": "https://docs.github.com/enterprise-server@3.22/rest/actions/self-hosted-runners",
	})
}

// encodeJIT builds a JIT config the way GitHub does: base64 of a JSON
// object mapping file names to base64 file contents.
func encodeJIT(files map[string]string) string {
	m := map[string]string{}
	for k, v := range files {
		m[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	b, _ := json.Marshal(m)
	return base64.StdEncoding.EncodeToString(b)
}

func atoiDefault(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

func (s *Server) String() string { return fmt.Sprintf("fake GHES at %s", s.URL) }
