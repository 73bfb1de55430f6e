package github

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
)

// rawCall sends one request to the fake with the headers runnerctl sends
// unless overridden ("" removes one), and returns the status and headers.
func rawCall(t *testing.T, method, url, auth string, hdr map[string]string, body any) (int, http.Header, []byte) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", APIVersion)
	req.Header.Set("User-Agent", "runnerctl/test")
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
			if k == "User-Agent" {
				req.Header.Set(k, "") // net/http sends its own unless set empty
			}
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, b.Bytes()
}

// The fake refuses what GitHub refuses: requests without a User-Agent,
// an unknown API version; and what runnerctl must send: the media type
// and the version header. The client sends all of them.
func TestFakeRequiresHeaders(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	u := srv.APIURL() + "/orgs/acme/actions/runners"
	for _, c := range []struct {
		hdr  map[string]string
		want int
	}{
		{nil, 200},
		{map[string]string{"User-Agent": ""}, 403},
		{map[string]string{"X-GitHub-Api-Version": ""}, 400},
		{map[string]string{"X-GitHub-Api-Version": "2019-01-01"}, 400},
		{map[string]string{"Accept": ""}, 415},
		{map[string]string{"Accept": "text/html"}, 415},
	} {
		if got, _, body := rawCall(t, "GET", u, "Bearer "+githubtest.Token, c.hdr, nil); got != c.want {
			t.Errorf("%v: HTTP %d, want %d: %s", c.hdr, got, c.want, body)
		}
	}
}

// Every answer carries GitHub's rate-limit headers; a spent budget is a
// 403 with X-RateLimit-Remaining: 0 until the reset.
func TestFakeRateLimit(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	srv.SetRateLimit(3)
	u := srv.APIURL() + "/orgs/acme/actions/runners"
	for i := 1; i <= 4; i++ {
		code, h, _ := rawCall(t, "GET", u, "Bearer "+githubtest.Token, nil, nil)
		wantCode, wantRemaining := 200, 3-i
		if i == 4 {
			wantCode, wantRemaining = 403, 0
		}
		if code != wantCode || h.Get("X-RateLimit-Limit") != "3" || h.Get("X-RateLimit-Remaining") != strconv.Itoa(wantRemaining) ||
			h.Get("X-RateLimit-Used") != strconv.Itoa(min(i, 3)) || h.Get("X-RateLimit-Resource") != "core" {
			t.Fatalf("request %d: HTTP %d, headers %v", i, code, h)
		}
		reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
		if err != nil || time.Until(time.Unix(reset, 0)) < 59*time.Minute {
			t.Fatalf("request %d: X-RateLimit-Reset %q", i, h.Get("X-RateLimit-Reset"))
		}
	}
	// Bad credentials are counted against the unauthenticated budget.
	if code, h, _ := rawCall(t, "GET", u, "Bearer nope", nil, nil); code != 401 || h.Get("X-RateLimit-Limit") != "60" {
		t.Fatalf("bad token: HTTP %d, limit %q", code, h.Get("X-RateLimit-Limit"))
	}
	// The client sees the spent budget as a rate limit it cannot wait out.
	c := newTestClient(t, srv, srv.URL+"/acme", githubtest.Token, fastPolicy())
	if _, err := c.ListRunners(t.Context(), ""); err == nil || !strings.Contains(err.Error(), "--max-wait") {
		t.Fatalf("listing with a spent budget: %v", err)
	}
}

// A fine-grained PAT reaches only its resources; registration and remove
// tokens work only for the scope they were minted for.
func TestFakeScopedTokens(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	srv.AddScope("repos/acme/other")
	srv.AddTokenFor("github_pat_appOnly", "repos/acme/app")
	api := srv.APIURL()
	if code, _, _ := rawCall(t, "GET", api+"/repos/acme/app/actions/runners", "Bearer github_pat_appOnly", nil, nil); code != 200 {
		t.Fatalf("fine-grained PAT on its repository: HTTP %d", code)
	}
	for _, p := range []string{"/repos/acme/other/actions/runners", "/orgs/acme/actions/runners", "/enterprises/big/actions/runners"} {
		if code, _, _ := rawCall(t, "GET", api+p, "Bearer github_pat_appOnly", nil, nil); code != 404 {
			t.Errorf("fine-grained PAT on %s: HTTP %d, want 404", p, code)
		}
	}
	code, _, body := rawCall(t, "POST", api+"/repos/acme/app/actions/runners/registration-token", "Bearer "+githubtest.Token, nil, nil)
	var tok struct{ Token string }
	if err := json.Unmarshal(body, &tok); code != 201 || err != nil {
		t.Fatalf("mint: HTTP %d %s", code, body)
	}
	if !srv.ValidRegistrationToken("repos/acme/app", tok.Token) || srv.ValidRegistrationToken("repos/acme/other", tok.Token) ||
		srv.ValidRegistrationToken("orgs/acme", tok.Token) || srv.ValidRemoveToken("repos/acme/app", tok.Token) {
		t.Fatal("a registration token is valid beyond its scope or as a remove token")
	}
	// A minted token is no API credential.
	if code, _, _ := rawCall(t, "GET", api+"/repos/acme/app/actions/runners", "Bearer "+tok.Token, nil, nil); code != 401 {
		t.Errorf("registration token as an API credential: HTTP %d, want 401", code)
	}
	// The runner protocol: the repository token does not register in the org or another repository.
	for _, target := range []string{srv.URL + "/acme", srv.URL + "/acme/other"} {
		code, _, body := rawCall(t, "POST", api+"/actions/runner-registration", "RemoteAuth "+tok.Token, nil,
			githubtest.RegisterRequest{URL: target, Event: "register", Name: "x"})
		if code != 401 {
			t.Errorf("register at %s with a token of repos/acme/app: HTTP %d %s, want 401", target, code, body)
		}
	}
}

// A runner goes offline after the delay SetOfflineAfter sets.
func TestFakeOfflineAfter(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	var mu sync.Mutex
	now := time.Now()
	srv.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	srv.SetHeartbeat(time.Second)
	srv.SetOfflineAfter(time.Minute)
	_, _, body := rawCall(t, "POST", srv.APIURL()+"/repos/acme/app/actions/runners/registration-token", "Bearer "+githubtest.Token, nil, nil)
	var tok struct{ Token string }
	_ = json.Unmarshal(body, &tok)
	code, _, body := rawCall(t, "POST", srv.APIURL()+"/actions/runner-registration", "RemoteAuth "+tok.Token, nil,
		githubtest.RegisterRequest{URL: srv.URL + "/acme/app", Event: "register", Name: "r1"})
	var reg githubtest.RegisterResponse
	if err := json.Unmarshal(body, &reg); code != 201 || err != nil {
		t.Fatalf("register: HTTP %d %s", code, body)
	}
	if code, _, body := rawCall(t, "POST", reg.ServerURL+"heartbeat", "Bearer "+reg.Credential, nil, map[string]any{}); code != 200 {
		t.Fatalf("heartbeat: HTTP %d %s", code, body)
	}
	status := func() string { return srv.Runners("repos/acme/app")[0].Status }
	advance(50 * time.Second)
	if s := status(); s != "online" {
		t.Fatalf("50 s after the heartbeat (offline after 1 min): %s", s)
	}
	advance(11 * time.Second)
	if s := status(); s != "offline" {
		t.Fatalf("61 s after the heartbeat: %s", s)
	}
}

// signJWT signs claims with RS256 (or the header alg given).
func signJWT(t *testing.T, alg string, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	in := enc(map[string]string{"alg": alg, "typ": "JWT"}) + "." + enc(claims)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, appKey, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// The fake checks App JWTs as GitHub does, and installation tokens end
// after their hour.
func TestFakeAppJWT(t *testing.T) {
	srv := githubtest.New()
	defer srv.Close()
	testApp(t, srv)
	inst := srv.AddInstallation(githubtest.Installation{AppID: testAppID, Account: "acme", Permissions: githubtest.AppPermissions})
	now := time.Now().Unix()
	for _, tc := range []struct {
		name   string
		jwt    string
		status int
		msg    string
	}{
		{"good", signJWT(t, "RS256", map[string]any{"iss": testAppID, "iat": now - 60, "exp": now + 540}), 200, ""},
		{"iss as string", signJWT(t, "RS256", map[string]any{"iss": "4242", "iat": now - 60, "exp": now + 60}), 200, ""},
		{"future iat", signJWT(t, "RS256", map[string]any{"iss": testAppID, "iat": now + 30, "exp": now + 90}), 401, "'Issued at' claim ('iat')"},
		{"expired", signJWT(t, "RS256", map[string]any{"iss": testAppID, "iat": now - 120, "exp": now - 1}), 401, "'Expiration time' claim ('exp') must be a numeric value"},
		{"too long", signJWT(t, "RS256", map[string]any{"iss": testAppID, "iat": now - 60, "exp": now + 600}), 401, "too far in the future"},
		{"fractional iat", signJWT(t, "RS256", map[string]any{"iss": testAppID, "iat": float64(now) - 0.5, "exp": now + 60}), 401, "'Issued at' claim ('iat')"},
		{"unknown app", signJWT(t, "RS256", map[string]any{"iss": 1, "iat": now - 60, "exp": now + 60}), 401, "Integration not found"},
		{"alg none", signJWT(t, "none", map[string]any{"iss": testAppID, "iat": now - 60, "exp": now + 60}), 401, "could not be decoded"},
		{"a PAT", githubtest.Token, 401, "could not be decoded"},
	} {
		code, _, body := rawCall(t, "GET", srv.APIURL()+"/app", "Bearer "+tc.jwt, nil, nil)
		if code != tc.status || !strings.Contains(string(body), tc.msg) {
			t.Errorf("%s: %d %s, want %d %q", tc.name, code, body, tc.status, tc.msg)
		}
	}
	// A JWT is no API credential; an installation token ends after an hour.
	jwt := signJWT(t, "RS256", map[string]any{"iss": testAppID, "iat": now - 60, "exp": now + 60})
	if code, _, _ := rawCall(t, "GET", srv.APIURL()+"/orgs/acme/actions/runners", "Bearer "+jwt, nil, nil); code != 401 {
		t.Errorf("a JWT on the runner endpoints: %d, want 401", code)
	}
	code, _, body := rawCall(t, "POST", srv.APIURL()+"/app/installations/"+strconv.FormatInt(inst, 10)+"/access_tokens", "Bearer "+jwt, nil, nil)
	var tok struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal(body, &tok); code != 201 || err != nil || time.Until(tok.ExpiresAt) < 59*time.Minute {
		t.Fatalf("access token: %d %s %v", code, body, err)
	}
	if code, _, _ := rawCall(t, "GET", srv.APIURL()+"/orgs/acme/actions/runners", "Bearer "+tok.Token, nil, nil); code != 200 {
		t.Errorf("fresh installation token: %d", code)
	}
	if code, _, _ := rawCall(t, "GET", srv.APIURL()+"/enterprises/big/actions/runners", "Bearer "+tok.Token, nil, nil); code != 403 {
		t.Errorf("installation token at enterprise scope: %d, want 403", code)
	}
	srv.SetClock(func() time.Time { return time.Now().Add(61 * time.Minute) })
	if code, _, _ := rawCall(t, "GET", srv.APIURL()+"/orgs/acme/actions/runners", "Bearer "+tok.Token, nil, nil); code != 401 {
		t.Errorf("installation token after its hour: %d, want 401", code)
	}
}
