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
type Origin struct {
	*httptest.Server

	mu       sync.Mutex
	files    map[string]originFile // by path
	cutAfter []int64               // each entry cuts one response after that many bytes
	requests []Request
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

// Publish serves data at /path, guarded by token when not empty, and
// returns the download entry the downloads API should list for it.
func (o *Origin) Publish(osName, arch, filename string, data []byte, token string) Download {
	path := "/actions/runner/releases/" + filename
	o.mu.Lock()
	o.files[path] = originFile{data: data, token: token}
	o.mu.Unlock()
	sum := sha256.Sum256(data)
	return Download{OS: osName, Architecture: arch, DownloadURL: o.URL + path, Filename: filename,
		TempDownloadToken: token, SHA256: hex.EncodeToString(sum[:])}
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
	o.mu.Unlock()
	if !ok {
		http.Error(w, "<html><body>Not Found</body></html>", http.StatusNotFound)
		return
	}
	if f.token != "" && r.Header.Get("Authorization") != "Bearer "+f.token {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte("<html><body>Unauthorized</body></html>"))
		return
	}
	data, status := f.data, http.StatusOK
	total := int64(len(f.data))
	w.Header().Set("Accept-Ranges", "bytes")
	w.Header().Set("Content-Type", "application/octet-stream")
	if rg := r.Header.Get("Range"); rg != "" {
		start, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"), 10, 64)
		if err != nil || start < 0 || start >= total {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", total))
			w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
			return
		}
		data, status = f.data[start:], http.StatusPartialContent
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
