package githubtest

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// removeTokenOr serves DELETE .../actions/runners/{id} sent with
// "Authorization: RemoteAuth <remove token>", as GitHub does for the
// runner's own `config.sh remove` (the runner-admin flow of
// RunnerDotcomServer.DeleteRunnerAsync): the token must be a remove
// token minted for this scope and not expired; anything else goes to
// next (the API's PAT / App authentication).
func (s *Server) removeTokenOr(next http.HandlerFunc) http.HandlerFunc {
	del := s.withRunner(s.deleteRunner)
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "RemoteAuth ")
		if !ok {
			next(w, r)
			return
		}
		scope := scopeOf(r)
		var valid, expired bool
		if !s.admit(w, r, func() {
			m, known := s.remToks[tok]
			valid = known && m.scope == scope
			expired = valid && !s.now().Before(m.expires)
		}) {
			return
		}
		switch {
		case !valid:
			writeError(w, http.StatusUnauthorized, "Bad credentials: the token is not a remove token for "+scope)
		case expired:
			writeError(w, http.StatusUnauthorized, "The token has expired")
		default:
			del(w, r, scope)
		}
	}
}

// jitFilesLocked are the files the fake config.sh (fakelistener) would
// have written for runner rn, the server reached at origin
// (scheme://host): an encoded_jit_config holds exactly these, so the fake
// listener runs a JIT runner as it runs a configured one. Called with
// s.mu held.
func (s *Server) jitFilesLocked(origin string, rn *Runner, work string) map[string]string {
	rn.viaProtocol = true
	rn.credential = "cred-" + randomToken()
	bom := "\ufeff"
	rsa, _ := json.MarshalIndent(map[string]string{"d": hex.EncodeToString([]byte(randomToken())), "credential": rn.credential}, "", "  ")
	cred, _ := json.MarshalIndent(map[string]any{"scheme": "OAuth", "data": map[string]string{
		"clientId": fmt.Sprintf("jit-%d", rn.ID), "authorizationUrl": origin + "/_runner/token", "requireFipsCryptography": "False"}}, "", "  ")
	web := origin + "/" + strings.TrimPrefix(strings.TrimPrefix(rn.Scope, "repos/"), "orgs/")
	settings, _ := json.MarshalIndent(map[string]any{"agentId": rn.ID, "agentName": rn.Name, "poolId": rn.GroupID, "poolName": "Default",
		"ephemeral": true, "serverUrl": origin + "/_runner/", "gitHubUrl": web, "workFolder": work}, "", "  ")
	return map[string]string{".runner": bom + string(settings), ".credentials": bom + string(cred), ".credentials_rsaparams": bom + string(rsa)}
}

// MintJIT is generate-jitconfig as an orchestrator calls it (runner
// group 1, these labels, the default work folder), without the HTTP
// round trip: it returns the encoded_jit_config of a new JIT runner
// named name in scope.
func (s *Server) MintJIT(scope, name string, labels ...string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.scopes[scope] || len(s.runnersLocked(scope, name)) > 0 {
		return "", fmt.Errorf("mint JIT config: no scope %s, or a runner named %s exists", scope, name)
	}
	id := s.addRunnerLocked(Runner{Name: name, GroupID: 1, Labels: labels, Ephemeral: true, Scope: scope})
	return encodeJIT(s.jitFilesLocked(s.URL, s.runners[id], "_work")), nil
}
