package github

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/secret"
)

// linkServer is an in-process API (an http.RoundTripper, no socket) that
// answers every runner list with perPage runners of that page and the
// fuzzed Link header, NEXT in it replaced by the page asked for plus one
// while that page is below last (from then on the header is left out).
type linkServer struct {
	link          string
	perPage, last int
	pages         []int // pages asked for, in order
}

var errRunaway = errors.New("pagination does not end")

// maxListRequests bounds the requests one ListRunners may send here:
// no answer of linkServer justifies more.
const maxListRequests = 300

func (s *linkServer) RoundTrip(r *http.Request) (*http.Response, error) {
	page := 1
	if p := r.URL.Query().Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("page %q asked for", p)
		}
		page = n
	}
	s.pages = append(s.pages, page)
	if len(s.pages) > maxListRequests {
		return nil, errRunaway
	}
	var rs []string
	for i := range s.perPage {
		rs = append(rs, fmt.Sprintf(`{"id":%d,"name":"r-%d-%d","os":"linux","status":"online","busy":false,"labels":[]}`, page*1000+i, page, i))
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if page < s.last || !strings.Contains(s.link, "NEXT") {
		h.Set("Link", strings.ReplaceAll(s.link, "NEXT", strconv.Itoa(page+1)))
	}
	body := fmt.Sprintf(`{"total_count":%d,"runners":[%s]}`, s.perPage*s.last, strings.Join(rs, ","))
	return &http.Response{StatusCode: http.StatusOK, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: r,
		ContentLength: int64(len(body)), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}

// githubLink is the Link header github.com sends (NEXT: the next page).
const githubLink = `<https://api.github.com/repositories/1/actions/runners?per_page=100&page=NEXT>; rel="next", <https://api.github.com/repositories/1/actions/runners?per_page=100&page=3>; rel="last"`

// FuzzListRunnersLink: go-github parses the Link header (populatePageValues);
// ListRunners follows its next page. Whatever the header says, listing
// ends, never asks for a page twice or for one before the last, and on
// success returns each runner of the pages it asked for once.
func FuzzListRunnersLink(f *testing.F) {
	for _, s := range []struct {
		link          string
		perPage, last uint8
	}{
		{githubLink, 100, 3},
		{`<http://127.0.0.1:1/api/v3/orgs/acme/actions/runners?page=NEXT&per_page=100>; rel="next"`, 2, 1},
		{`<https://x/?page=1>; rel="next"`, 1, 0},
		{`<https://x/?page=5>; rel="next"`, 1, 0},
		{`<https://x/?page=-1>; rel="next"`, 1, 0},
		{`<https://x/?page=0>; rel="next"`, 1, 0},
		{`<https://x/?page=NEXT>; rel="prev", <https://x/?page=NEXT>; rel="next"`, 3, 9},
		{`<https://x/?since=NEXT>; rel="next"`, 1, 4},
		{`<https://x/?cursor=abc>; rel="next"`, 1, 0},
		{`<https://x/?after=Y3Vyc29y>; rel="next"`, 1, 0},
		{`<https://x/?page=NEXT>; rel="next"`, 0, 5},
		{``, 0, 0},
	} {
		f.Add(s.link, s.perPage, s.last)
	}
	tg, err := ParseTarget("https://ghes.example.com/acme", "")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, link string, perPage, last uint8) {
		srv := &linkServer{link: link, perPage: int(perPage % 101), last: int(last)}
		c, err := New(Options{Target: tg, Token: secret.New("ghp_fuzz"), Version: "fuzz", Retry: fastPolicy(), Transport: srv})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rs, err := c.ListRunners(ctx, "")
		if errors.Is(err, errRunaway) || ctx.Err() != nil {
			t.Fatalf("Link %q: %d requests, pages %v...: %v", link, len(srv.pages), srv.pages[:min(len(srv.pages), 10)], err)
		}
		for i, p := range srv.pages {
			if i > 0 && p <= srv.pages[i-1] {
				t.Fatalf("Link %q: pages asked for %v: not increasing", link, srv.pages)
			}
		}
		if err != nil {
			if link == githubLink && srv.perPage > 0 {
				t.Fatalf("github.com's Link, %d pages of %d: %v", srv.last, srv.perPage, err)
			}
			return
		}
		if len(rs) != len(srv.pages)*srv.perPage {
			t.Fatalf("Link %q: %d runners from %d pages of %d", link, len(rs), len(srv.pages), srv.perPage)
		}
		seen := map[int64]bool{}
		for _, r := range rs {
			if seen[r.ID] {
				t.Fatalf("Link %q: runner %d twice", link, r.ID)
			}
			seen[r.ID] = true
		}
	})
}
