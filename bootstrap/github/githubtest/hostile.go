package githubtest

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
)

// Hostile-server knobs: what a compromised or broken server (or a
// man in the middle of a plain-http one) could list and serve. A client
// must treat all of it as data: refuse it with a clear error and write or
// remove nothing because of it.

// DownloadEdit changes every entry of the downloads list; a nil field is
// left as it is.
type DownloadEdit struct {
	// Filename replaces the file name (a path such as "../../x/…" is listed as it is).
	Filename *string `json:"filename,omitempty"`
	// SHA256 replaces the checksum; "" lists no sha256_checksum at all.
	SHA256 *string `json:"sha256,omitempty"`
	// DownloadURL replaces the download URL.
	DownloadURL *string `json:"download_url,omitempty"`
}

// EditDownloads applies e to every entry of the downloads list.
func (s *Server) EditDownloads(e DownloadEdit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.dls {
		d := &s.dls[i]
		if e.Filename != nil {
			d.Filename = *e.Filename
		}
		if e.SHA256 != nil {
			d.SHA256 = *e.SHA256
		}
		if e.DownloadURL != nil {
			d.DownloadURL = *e.DownloadURL
		}
	}
}

// ServeDownloadsOverTLS moves every listed package to a new download
// origin that speaks TLS (loopback, httptest's certificate) and redirects,
// as github.com does, to a storage host: one speaking plain http when
// plainStorage (an https→http redirect), else TLS. File names, checksums
// and temporary tokens stay as listed; the bytes are fetched from the
// current download URLs. It returns the certificate to trust (PEM, for
// --ca-file) and the origin, which Close stops.
func (s *Server) ServeDownloadsOverTLS(plainStorage bool) ([]byte, *Origin, error) {
	s.mu.Lock()
	dls := append([]Download(nil), s.dls...)
	s.mu.Unlock()
	o := NewTLSOrigin()
	if plainStorage {
		o.UseStorage()
	} else {
		o.UseTLSStorage()
	}
	moved := map[string][]byte{}
	for i, d := range dls {
		s.mu.Lock()
		data, ok := s.moved[d.DownloadURL]
		s.mu.Unlock()
		if !ok {
			var err error
			if data, err = fetchPublished(d); err != nil {
				o.Close()
				return nil, nil, err
			}
		}
		dls[i].DownloadURL = o.PublishAt("/pkg/"+strconv.Itoa(i), d.OS, d.Architecture, d.Filename, data, d.TempDownloadToken).DownloadURL
		moved[dls[i].DownloadURL] = data
	}
	s.mu.Lock()
	s.dls = dls
	s.origins = append(s.origins, o)
	if s.moved == nil {
		s.moved = map[string][]byte{}
	}
	maps.Copy(s.moved, moved)
	s.mu.Unlock()
	return o.CertificatePEM(), o, nil
}

// fetchPublished reads a listed package from its (loopback, plain http)
// download URL; one ServeDownloadsOverTLS moved is not fetched again, so
// that the request logs hold the client's requests only.
func fetchPublished(d Download) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, d.DownloadURL, nil)
	if err != nil {
		return nil, err
	}
	if d.TempDownloadToken != "" {
		req.Header.Set("Authorization", "Bearer "+d.TempDownloadToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: HTTP %d", d.DownloadURL, resp.StatusCode)
	}
	return io.ReadAll(resp.Body)
}

// Close stops the fake and the origins ServeDownloadsOverTLS started.
func (s *Server) Close() {
	s.Server.Close()
	s.mu.Lock()
	origins := s.origins
	s.origins = nil
	s.mu.Unlock()
	for _, o := range origins {
		o.Close()
	}
}

// NewTLSOrigin starts a download origin that speaks TLS on a loopback
// port (httptest's certificate: trust CertificatePEM, or use Client).
func NewTLSOrigin() *Origin {
	o := &Origin{files: map[string]originFile{}}
	o.Server = httptest.NewTLSServer(http.HandlerFunc(o.serve))
	return o
}

// CertificatePEM is the origin's certificate (for a TLS origin), PEM
// encoded: what --ca-file must hold. httptest gives every TLS server the
// same one, so it is the TLS storage host's too.
func (o *Origin) CertificatePEM() []byte {
	if o.Certificate() == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: o.Certificate().Raw})
}

// hostileRoutes serve the knobs above on the control API:
//
//	POST /_fake/downloads/edit   {"filename": ..., "sha256": ..., "download_url": ...}   EditDownloads
//	POST /_fake/downloads/tls[?storage=http]                                           ServeDownloadsOverTLS; answers the PEM to trust
//	GET  /_fake/downloads/tls/requests                                                 what those origins and their storage hosts saw
func (s *Server) hostileRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /_fake/downloads/edit", func(w http.ResponseWriter, r *http.Request) {
		var e DownloadEdit
		if err := json.NewDecoder(r.Body).Decode(&e); err != nil {
			http.Error(w, "want {filename, sha256, download_url} (each optional)", http.StatusBadRequest)
			return
		}
		s.EditDownloads(e)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /_fake/downloads/tls", func(w http.ResponseWriter, r *http.Request) {
		pemBytes, _, err := s.ServeDownloadsOverTLS(r.URL.Query().Get("storage") == "http")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/x-pem-file")
		_, _ = w.Write(pemBytes)
	})
	mux.HandleFunc("GET /_fake/downloads/tls/requests", func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		origins := append([]*Origin(nil), s.origins...)
		s.mu.Unlock()
		out := map[string][]Request{"origin": {}, "storage": {}}
		for _, o := range origins {
			out["origin"] = append(out["origin"], o.Requests()...)
			out["storage"] = append(out["storage"], o.StorageRequests()...)
		}
		writeJSON(w, http.StatusOK, out)
	})
}
