package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// SeedRequest asks the control API for Count runners in Scope.
type SeedRequest struct {
	Scope      string   `json:"scope"`
	Count      int      `json:"count"`
	NamePrefix string   `json:"name_prefix"`
	Status     string   `json:"status"`
	Busy       bool     `json:"busy"`
	Labels     []string `json:"labels"`
}

// Seed adds runners named NamePrefix1…NamePrefixN and returns their ids.
func (s *Server) Seed(req SeedRequest) []int64 {
	prefix := req.NamePrefix
	if prefix == "" {
		prefix = "runner-"
	}
	var ids []int64
	for i := 1; i <= req.Count; i++ {
		ids = append(ids, s.AddRunner(Runner{
			Name: fmt.Sprintf("%s%d", prefix, i), Scope: req.Scope, Status: req.Status, Busy: req.Busy, Labels: req.Labels,
		}))
	}
	return ids
}

// controlRoutes serve /_fake/: the way a separate process (the demo, a
// shell) seeds the fake and injects faults. Loopback test use only.
func (s *Server) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /_fake/runners", func(w http.ResponseWriter, r *http.Request) {
		var req SeedRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Scope == "" {
			http.Error(w, "want {scope, count, ...}", http.StatusBadRequest)
			return
		}
		writeJSON(w, http.StatusOK, s.Seed(req))
	})
	mux.HandleFunc("GET /_fake/runners", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Runners(r.URL.Query().Get("scope")))
	})
	mux.HandleFunc("POST /_fake/faults", func(w http.ResponseWriter, r *http.Request) {
		var fs []Fault
		if err := json.NewDecoder(r.Body).Decode(&fs); err != nil {
			http.Error(w, "want a JSON list of faults", http.StatusBadRequest)
			return
		}
		s.PushFault(fs...)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_fake/requests", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Requests())
	})
	s.hostileRoutes(mux)
}
