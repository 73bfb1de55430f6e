package githubtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Origin is the download host of the fake: a second server, like GitHub's
// release CDN, that serves runner packages only with the temporary
// download token the downloads API hands out. It honours Range requests,
// logs every request (with its Authorization header, so tests can check
// that the API credential never reaches it) and can cut a download.
//
// Like github.com's release downloads, it can answer with a redirect to a
// storage host (UseStorage) that serves the bytes for a signed URL; the
// storage host is 127.0.0.1 on another port, so a client that compares
// host names without the port would hand it the temporary token. Faults
// (PushFault) give an error status, a Content-Range that does not start
// where the client asked, or a whole 200 body for a ranged request.
type Origin struct {
	*httptest.Server

	mu       sync.Mutex
	files    map[string]originFile // by path
	cutAfter []int64               // each entry cuts one response after that many bytes
	faults   []OriginFault
	requests []Request
	storage  *httptest.Server // nil: the origin serves the bytes itself
	stored   []Request        // requests the storage host saw
	expired  map[string]bool  // temp tokens that expired
}

// OriginFault is a canned answer the origin gives to one request instead
// of the package.
type OriginFault struct {
	// Status answers with this HTTP status (and an HTML body, as a CDN does).
	Status int
	// WrongRange answers a ranged request with 206 and a Content-Range
	// starting one byte after the offset asked for.
	WrongRange bool
	// IgnoreRange answers a ranged request with 200 and the whole body.
	IgnoreRange bool
}

type originFile struct {
	data  []byte
	token string
}

// NewOrigin starts a download origin on a loopback port.
func NewOrigin() *Origin {
	o := &Origin{files: map[string]originFile{}}
	o.Server = httptest.NewServer(http.HandlerFunc(o.serve))
	return o
}

// Publish serves data at /actions/runner/releases/FILENAME, guarded by
// token when not empty, and returns the download entry the downloads API
// should list for it.
func (o *Origin) Publish(osName, arch, filename string, data []byte, token string) Download {
	return o.PublishAt("/actions/runner/releases/"+filename, osName, arch, filename, data, token)
}

// PublishAt is Publish at another path (one that is not made of the file
// name, which a hostile list may make anything).
func (o *Origin) PublishAt(path, osName, arch, filename string, data []byte, token string) Download {
	o.mu.Lock()
	o.files[path] = originFile{data: data, token: token}
	o.mu.Unlock()
	sum := sha256.Sum256(data)
	return Download{OS: osName, Architecture: arch, DownloadURL: o.URL + path, Filename: filename,
		TempDownloadToken: token, SHA256: hex.EncodeToString(sum[:])}
}

// PushFault queues faults: each of the next requests gets the next one.
func (o *Origin) PushFault(f ...OriginFault) {
	o.mu.Lock()
	o.faults = append(o.faults, f...)
	o.mu.Unlock()
}

// ExpireToken makes a temp download token expired: the origin answers 401.
func (o *Origin) ExpireToken(token string) {
	o.mu.Lock()
	if o.expired == nil {
		o.expired = map[string]bool{}
	}
	o.expired[token] = true
	o.mu.Unlock()
}

// UseStorage makes the origin answer every authorized request with a 302
// to a storage host (127.0.0.1, another port) serving the same bytes for a
// signed query, as github.com redirects release downloads to
// objects.githubusercontent.com. The storage host refuses unsigned
// requests and logs every request (StorageRequests). It speaks plain
// http: behind a TLS origin (NewTLSOrigin) the redirect is a downgrade
// from https to http.
func (o *Origin) UseStorage() { o.useStorage(httptest.NewServer) }

// UseTLSStorage is UseStorage with a storage host that speaks TLS (with
// the certificate of every httptest TLS server).
func (o *Origin) UseTLSStorage() { o.useStorage(httptest.NewTLSServer) }

func (o *Origin) useStorage(start func(http.Handler) *httptest.Server) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.storage != nil {
		return
	}
	o.storage = start(http.HandlerFunc(o.serveStorage))
}

// StorageRequests returns the requests the storage host saw.
func (o *Origin) StorageRequests() []Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Request(nil), o.stored...)
}

// Close stops the origin and its storage host.
func (o *Origin) Close() {
	o.Server.Close()
	o.mu.Lock()
	st := o.storage
	o.mu.Unlock()
	if st != nil {
		st.Close()
	}
}

func signature(path string) string {
	sum := sha256.Sum256([]byte("fake-storage-key:" + path))
	return hex.EncodeToString(sum[:8])
}

func (o *Origin) serveStorage(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.stored = append(o.stored, Request{Time: time.Now(), Method: r.Method, Path: r.URL.Path,
		RawQuery: r.Header.Get("Range"), Authorization: r.Header.Get("Authorization"), UserAgent: r.Header.Get("User-Agent")})
	f, ok := o.files[r.URL.Path]
	o.mu.Unlock()
	if !ok || r.URL.Query().Get("sig") != signature(r.URL.Path) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("<Error><Code>AuthenticationFailed</Code></Error>"))
		return
	}
	o.serveBytes(w, r, f.data, -1, OriginFault{})
}

// CutNext makes the next response end (connection closed) after n body bytes.
func (o *Origin) CutNext(n int64) { o.mu.Lock(); o.cutAfter = append(o.cutAfter, n); o.mu.Unlock() }

// Requests returns the requests the origin saw.
func (o *Origin) Requests() []Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Request(nil), o.requests...)
}

func (o *Origin) serve(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.requests = append(o.requests, Request{Time: time.Now(), Method: r.Method, Path: r.URL.Path,
		RawQuery: r.Header.Get("Range"), Authorization: r.Header.Get("Authorization"), UserAgent: r.Header.Get("User-Agent")})
	f, ok := o.files[r.URL.Path]
	cut := int64(-1)
	if ok && len(o.cutAfter) > 0 {
		cut, o.cutAfter = o.cutAfter[0], o.cutAfter[1:]
	}
	var fault OriginFault
	if len(o.faults) > 0 {
		fault, o.faults = o.faults[0], o.faults[1:]
	}
	storage := o.storage
	expired := o.expired[f.token]
	o.mu.Unlock()
	if fault.Status != 0 {
		htmlError(w, fault.Status)
		return
	}
	if !ok {
		htmlError(w, http.StatusNotFound)
		return
	}
	if f.token != "" && (r.Header.Get("Authorization") != "Bearer "+f.token || expired) {
		htmlError(w, http.StatusUnauthorized)
		return
	}
	if storage != nil {
		http.Redirect(w, r, storage.URL+r.URL.Path+"?sig="+signature(r.URL.Path), http.StatusFound)
		return
	}
	o.serveBytes(w, r, f.data, cut, fault)
}

func htmlError(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "<html><body>%s</body></html>", http.StatusText(status))
}

// serveBytes answers with data, honouring Range, cut after cut bytes (-1: whole).
func (o *Origin) serveBytes(w http.ResponseWriter, r *http.Request, all []byte, cut int64, fault OriginFault) {
	data, status := all, http.StatusOK
	total := int64(len(all))
	w.Header().Set("Accept-Ranges", "bytes")
	w.Header().Set("Content-Type", "application/octet-stream")
	if rg := r.Header.Get("Range"); rg != "" && !fault.IgnoreRange {
		start, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"), 10, 64)
		if err != nil || start < 0 || start >= total {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", total))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		if fault.WrongRange && start+1 < total {
			start++
		}
		data, status = all[start:], http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, total-1, total))
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	if cut >= 0 && cut < int64(len(data)) {
		_, _ = w.Write(data[:cut])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
			}
		}
		return
	}
	_, _ = w.Write(data)
}
