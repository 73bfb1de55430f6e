// Command bench compares `runnerctl prepare` with the shell way of
// installing a runner package (curl with the temp token, sha256sum -c,
// tar xzf) and with plain decompression (gzip -dc > /dev/null), on the
// same ~200 MB runner-shaped package served by the fake download origin
// on loopback. Runs alternate; everything is written to tmpfs (/dev/shm),
// since ext4 timings swing 3-4x here. It prints medians, the ratios and
// runnerctl's peak RSS, and exits 1 when a target is missed:
// prepare/shell <= 0.50, prepare/gunzip <= 1.30, peak RSS <= 64 MB.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/runnerctl/runnerctl/bootstrap/github/githubtest"
)

func main() {
	runs := flag.Int("runs", 5, "runs of each contender (alternated)")
	bin := flag.String("runnerctl", "./runnerctl", "the runnerctl binary")
	cache := flag.String("cache", ".cache/bench", "where the generated package is kept between runs")
	tmp := flag.String("tmp", "/dev/shm", "tmpfs to extract into")
	flag.Parse()
	if err := run(*runs, *bin, *cache, *tmp); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// makePackage lays out a runner-shaped tree of about 200 MB (half text-like
// and compressible, half random; many small files, a few large ones like
// node and the .NET libraries, in-tree symlinks under externals/node*/bin)
// and packs it with GNU tar the way the release does.
func makePackage(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	layout, err := os.MkdirTemp(filepath.Dir(path), "layout-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(layout)
	rng := mrand.New(mrand.NewPCG(1, 2))
	words := strings.Fields("function return const require module exports this async await promise callback error value length object string number undefined null true false")
	text := func(n int) []byte {
		var b strings.Builder
		for b.Len() < n {
			b.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(8) == 0 {
				b.WriteString(";\n")
			} else {
				b.WriteByte(' ')
			}
		}
		return []byte(b.String()[:n])
	}
	write := func(rel string, data []byte, mode os.FileMode) error {
		p := filepath.Join(layout, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, data, mode)
	}
	random := func(n int) []byte { b := make([]byte, n); _, _ = rand.Read(b); return b }
	// ~100 MB random: native binaries and libraries.
	for _, f := range []struct {
		rel  string
		size int
	}{{"externals/node20/bin/node", 40 << 20}, {"externals/node24/bin/node", 40 << 20}, {"bin/libcoreclr.so", 8 << 20}} {
		if err := write(f.rel, random(f.size), 0o755); err != nil {
			return err
		}
	}
	for i := 0; i < 300; i++ {
		if err := write(fmt.Sprintf("bin/System.Lib%03d.dll", i), random(40<<10), 0o644); err != nil {
			return err
		}
	}
	// ~100 MB compressible: npm's JavaScript, JSON, scripts.
	for _, node := range []string{"node20", "node24"} {
		for i := 0; i < 1200; i++ {
			rel := fmt.Sprintf("externals/%s/lib/node_modules/npm/lib/m%04d.js", node, i)
			if err := write(rel, text(40<<10), 0o644); err != nil {
				return err
			}
		}
		if err := write("externals/"+node+"/lib/node_modules/npm/bin/npm-cli.js", text(4096), 0o755); err != nil {
			return err
		}
		for _, l := range []string{"npm", "npx"} {
			if err := os.Symlink("../lib/node_modules/npm/bin/npm-cli.js", filepath.Join(layout, "externals", node, "bin", l)); err != nil {
				return err
			}
		}
	}
	for _, s := range []string{"config.sh", "run.sh", "env.sh", "bin/Runner.Listener", "bin/Runner.Worker"} {
		if err := write(s, text(8<<10), 0o755); err != nil {
			return err
		}
	}
	fmt.Fprintln(os.Stderr, "bench: packing the package with tar -czf (once; cached in", filepath.Dir(path)+")")
	tmp := path + ".tmp"
	if out, err := exec.Command("tar", "-czf", tmp, "-C", layout, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("tar: %v: %s", err, out)
	}
	return os.Rename(tmp, path)
}

type sample struct {
	wall time.Duration
	rss  int64 // KiB
}

// timed runs cmd. With rssFile set, cmd runs under GNU time, which writes
// the peak RSS in KiB there: the rusage Go hands back is no use, since
// Linux carries the parent's high-water mark (this process holds the whole
// package) into a vfork'd child's ru_maxrss at exec.
func timed(cmd *exec.Cmd, rssFile string) (sample, error) {
	if rssFile != "" {
		cmd.Args = append([]string{"/usr/bin/time", "-f", "%M", "-o", rssFile}, cmd.Args...)
		cmd.Path = "/usr/bin/time"
	}
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return sample{}, fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
	}
	s := sample{wall: time.Since(start)}
	if rssFile != "" {
		b, err := os.ReadFile(rssFile)
		if err != nil {
			return s, err
		}
		if _, err := fmt.Sscan(string(b), &s.rss); err != nil {
			return s, fmt.Errorf("read peak RSS: %q: %w", b, err)
		}
	}
	return s, nil
}

func median(ss []sample) time.Duration {
	d := make([]time.Duration, len(ss))
	for i, s := range ss {
		d[i] = s.wall
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

func run(runs int, bin, cacheDir, tmpfs string) error {
	for _, tool := range []string{"tar", "curl", "sha256sum", "gzip", "/usr/bin/time"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not installed", tool)
		}
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return err
	}
	pkgPath, _ := filepath.Abs(filepath.Join(cacheDir, "actions-runner-linux-x64-bench.tar.gz"))
	if err := makePackage(pkgPath); err != nil {
		return err
	}
	pkg, err := os.ReadFile(pkgPath)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(pkg)
	hexsum := hex.EncodeToString(sum[:])
	srv := githubtest.New()
	defer srv.Close()
	origin := githubtest.NewOrigin()
	defer origin.Close()
	const tok = "tmp-bench-token-123456"
	d := origin.Publish("linux", "x64", "actions-runner-linux-x64-2.336.0.tar.gz", pkg, tok)
	srv.SetDownloads([]githubtest.Download{d})

	work, err := os.MkdirTemp(tmpfs, "runnerctl-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	fmt.Printf("package: %.1f MB compressed, sha256 %s…; %d runs each, alternated, on %s\n", float64(len(pkg))/1e6, hexsum[:12], runs, tmpfs)

	var ours, shell, gunzip []sample
	ctx := context.Background()
	for i := 0; i < runs; i++ {
		dir := filepath.Join(work, fmt.Sprint("r", i))
		cmd := exec.CommandContext(ctx, bin, "prepare", "--url", srv.URL+"/acme", "--dir", filepath.Join(dir, "runner"),
			"--cache-dir", filepath.Join(dir, "cache"), "--user", "", "--os", "linux", "--arch", "x64", "--log-level", "warn")
		cmd.Env = append(os.Environ(), "RUNNERCTL_ACCESS_TOKEN="+githubtest.Token)
		s, err := timed(cmd, filepath.Join(work, "rss"))
		if err != nil {
			return err
		}
		ours = append(ours, s)
		_ = os.RemoveAll(dir)

		sdir := filepath.Join(work, fmt.Sprint("s", i))
		script := `set -e; mkdir -p "$D/runner"; cd "$D"
curl -sSf -H "Authorization: Bearer $TOK" -o pkg.tar.gz "$URL"
echo "$SUM  pkg.tar.gz" | sha256sum -c --status
tar -xzf pkg.tar.gz -C runner`
		cmd = exec.CommandContext(ctx, "sh", "-c", script)
		cmd.Env = append(os.Environ(), "D="+sdir, "TOK="+tok, "URL="+d.DownloadURL, "SUM="+hexsum)
		if s, err = timed(cmd, ""); err != nil {
			return err
		}
		shell = append(shell, s)
		_ = os.RemoveAll(sdir)

		cmd = exec.CommandContext(ctx, "sh", "-c", `gzip -dc "$P" > /dev/null`)
		cmd.Env = append(os.Environ(), "P="+pkgPath)
		if s, err = timed(cmd, ""); err != nil {
			return err
		}
		gunzip = append(gunzip, s)
	}
	var peak int64
	for _, s := range ours {
		peak = max(peak, s.rss)
	}
	mo, ms, mg := median(ours), median(shell), median(gunzip)
	r1, r2 := mo.Seconds()/ms.Seconds(), mo.Seconds()/mg.Seconds()
	rssMB := float64(peak) / 1024
	fmt.Printf("runnerctl prepare      median %6.3f s   peak RSS %.1f MB\n", mo.Seconds(), rssMB)
	fmt.Printf("curl+sha256sum+tar     median %6.3f s\n", ms.Seconds())
	fmt.Printf("gzip -dc > /dev/null   median %6.3f s\n", mg.Seconds())
	ok := func(b bool) string {
		if b {
			return "ok"
		}
		return "MISSED"
	}
	fmt.Printf("ratio prepare/shell    %.2f  (target <= 0.50) %s\n", r1, ok(r1 <= 0.50))
	fmt.Printf("ratio prepare/gunzip   %.2f  (target <= 1.30) %s\n", r2, ok(r2 <= 1.30))
	fmt.Printf("peak RSS               %.1f MB (target <= 64 MB) %s\n", rssMB, ok(rssMB <= 64))
	if r1 > 0.50 || r2 > 1.30 || rssMB > 64 || math.IsNaN(r1) {
		return fmt.Errorf("a target was missed")
	}
	return nil
}
