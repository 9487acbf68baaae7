// Command harvest-bench measures harvest against the framework floor, on one
// fixture server in this process:
//
//  1. a bare colly program (walk the pager, extract the records, store
//     nothing) walks a generated archive: the floor;
//  2. `harvest crawl` walks the same archive into a fresh database, one page
//     at a time and with concurrent listing fetches;
//  3. `harvest crawl` with --warc, again on the unchanged archive (revisit
//     records), and `harvest reparse` of those captures;
//  4. `harvest crawl` again on the unchanged archive (conditional requests),
//     and with --incremental;
//  5. the same crawl of a 100,000-document archive (memory must stay flat),
//     and `harvest export` of its records to CSV and JSON Lines;
//  6. at a per-request latency, a crawl that follows next links one by one
//     against one that fetches the listing's pages concurrently.
//
// Each measured program runs as a child process, so wall time, CPU seconds
// and peak RSS are its own. Usage:
//
//	go run ./cmd/harvest-bench [-docs 16756] [-big 100000] [-latency 20ms]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/internal/peakrss"
)

func main() {
	if len(os.Args) > 4 && os.Args[1] == "floor-details" {
		pages, _ := strconv.Atoi(os.Args[3])
		parallel, _ := strconv.Atoi(os.Args[4])
		err := floorDetails(os.Args[2], pages, parallel)
		peakrss.WriteIfAsked()
		if err != nil {
			fmt.Fprintln(os.Stderr, "floor-details:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 2 && os.Args[1] == "floor" {
		err := floor(os.Args[2])
		peakrss.WriteIfAsked()
		if err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		return
	}
	docs := flag.Int("docs", 16756, "documents in the main archive (10 per listing page)")
	big := flag.Int("big", 100000, "documents in the large archive (0: skip)")
	latency := flag.Duration("latency", 20*time.Millisecond, "per-request latency for the concurrency comparison (0: skip)")
	latencyDocs := flag.Int("latency-docs", 2000, "documents in the archive of the latency comparison")
	concurrency := flag.Int("concurrency", 4, "harvest --concurrency for the concurrent runs")
	harvestBin := flag.String("harvest", "", "harvest binary (default: build ./cmd/harvest)")
	keep := flag.Bool("keep", false, "keep the work directory")
	flag.IntVar(&detailsDocs, "details-docs", 16364, "documents in the archive of the --details run: listing + document pages (0: skip)")
	flag.IntVar(&detailsConcurrency, "details-concurrency", 16, "--concurrency of the --details run and its floor")
	flag.Int64Var(&bigFileMB, "big-file", 0, "MB of the large attachment whose download is measured (0: skip)")
	only := flag.String("only", "", "run only this part: details (the --details and large-file runs)")
	flag.Parse()
	if *only == "details" {
		*big, *latency, onlyDetails = 0, 0, true
	}
	if err := run(context.Background(), *docs, *big, *latencyDocs, *concurrency, *latency, *harvestBin, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "harvest-bench:", err)
		os.Exit(1)
	}
}

// result is one measured child process.
type result struct {
	name     string
	wall     time.Duration
	cpu      time.Duration
	rssKB    int64
	pages    int
	requests int
}

func (r result) pagesPerSec() float64 {
	if r.wall <= 0 || r.pages == 0 {
		return 0
	}
	return float64(r.pages) / r.wall.Seconds()
}

// measure runs a child and reads its resource use. The peak RSS is the one
// the child reports of itself (VmHWM): a child's rusage counts the memory of
// its parent from before exec.
func measure(name string, cmd *exec.Cmd) (result, error) {
	var errb strings.Builder
	cmd.Stderr = &errb
	rss, err := os.CreateTemp("", "rss-")
	if err != nil {
		return result{name: name}, err
	}
	rss.Close()
	defer os.Remove(rss.Name())
	cmd.Env = append(os.Environ(), peakrss.EnvVar+"="+rss.Name())
	start := time.Now()
	err = cmd.Run()
	r := result{name: name, wall: time.Since(start)}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			r.rssKB = ru.Maxrss
		}
	}
	if b, _ := os.ReadFile(rss.Name()); len(b) > 0 {
		if kb, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil {
			r.rssKB = kb
		}
	}
	if err != nil {
		return r, fmt.Errorf("%s: %v\n%s", name, err, errb.String())
	}
	return r, nil
}

// dirBytes is the size of the files in dir.
func dirBytes(dir string) int64 {
	var n int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil {
			n += info.Size()
		}
	}
	return n
}

func serve(docs int, latency time.Duration, conditional bool) (*fixtures.Server, error) {
	srv := fixtures.NewServer(fixtures.NewArchive(docs, 42))
	srv.Robots = "User-agent: *\nAllow: /\n"
	srv.Latency = latency
	srv.Conditional = conditional
	return srv, srv.Start()
}

func run(ctx context.Context, docs, big, latencyDocs, concurrency int, latency time.Duration, harvestBin string, keep bool) error {
	dir, err := os.MkdirTemp("", "harvest-bench-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	} else {
		fmt.Println("work directory:", dir)
	}
	if harvestBin == "" {
		harvestBin = filepath.Join(dir, "harvest")
		build := exec.CommandContext(ctx, "go", "build", "-o", harvestBin, "./cmd/harvest")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build harvest: %w", err)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	profile := filepath.Join(dir, "newest-first.json")
	if err := os.WriteFile(profile, []byte(`{"name": "fixture", "newest_first": true}`+"\n"), 0o644); err != nil {
		return err
	}
	if onlyDetails {
		return runDetails(ctx, dir, harvestBin, self)
	}
	harvest := func(args ...string) *exec.Cmd { return exec.CommandContext(ctx, harvestBin, args...) }
	pages := (docs + 9) / 10
	var results []result
	add := func(r result, err error) error {
		if err != nil {
			return err
		}
		results = append(results, r)
		return nil
	}

	srv, err := serve(docs, 0, true)
	if err != nil {
		return err
	}
	defer srv.Close()
	fmt.Printf("Archive: %d documents, %d listing pages, at %s (no latency)\n\n", docs, pages, srv.URL)

	n0 := srv.Requests()
	r, err := measure("bare colly walk (floor)", exec.CommandContext(ctx, self, "floor", srv.ListingURL(0)))
	r.pages, r.requests = pages, srv.Requests()-n0
	if err := add(r, err); err != nil {
		return err
	}
	floorResult := r

	crawlRun := func(name, db string, extra ...string) (result, error) {
		n0 := srv.Requests()
		args := append([]string{"crawl", srv.ListingURL(0), "--db", filepath.Join(dir, db), "--delay", "0", "--quiet"}, extra...)
		r, err := measure(name, harvest(args...))
		r.requests = srv.Requests() - n0
		r.pages = pages
		return r, err
	}
	// The fixture archive has the Wilson Center's markup, which the floor's
	// selectors are written for: harvest gets its wilson profile too, and
	// once the auto strategy that finds records by shape.
	if err := add(crawlRun("harvest crawl, one page at a time", "seq.db", "--profile", "wilson")); err != nil {
		return err
	}
	if err := add(crawlRun(fmt.Sprintf("harvest crawl, --concurrency %d, auto", concurrency), "auto.db", "--concurrency", fmt.Sprint(concurrency), "--profile", "auto")); err != nil {
		return err
	}
	if err := add(crawlRun(fmt.Sprintf("harvest crawl, --concurrency %d", concurrency), "main.db", "--concurrency", fmt.Sprint(concurrency), "--profile", "wilson")); err != nil {
		return err
	}
	// Raw capture: the same crawl writing WARC, a re-harvest of the unchanged
	// archive into the same captures (a server that sends every page whole:
	// identical payloads), and re-parsing them with no network.
	wsrv, err := serve(docs, 0, false)
	if err != nil {
		return err
	}
	defer wsrv.Close()
	warcDir := filepath.Join(dir, "warc")
	warcRun := func(name string) (result, error) {
		n0 := wsrv.Requests()
		r, err := measure(name, harvest("crawl", wsrv.ListingURL(0), "--db", filepath.Join(dir, "warc.db"), "--delay", "0", "--quiet",
			"--concurrency", fmt.Sprint(concurrency), "--profile", "wilson", "--warc", warcDir))
		r.requests, r.pages = wsrv.Requests()-n0, pages
		return r, err
	}
	wr, err := warcRun(fmt.Sprintf("harvest crawl, --concurrency %d, --warc", concurrency))
	if err := add(wr, err); err != nil {
		return err
	}
	firstBytes := dirBytes(warcDir)
	if err := add(warcRun("re-crawl --warc, unchanged archive, no 304s")); err != nil {
		return err
	}
	againBytes := dirBytes(warcDir) - firstBytes
	r, err = measure("harvest reparse of those captures", harvest("reparse", "--warc", warcDir, "--db", filepath.Join(dir, "warc.db"), "--profile", "wilson", "--quiet"))
	r.pages = pages
	if err := add(r, err); err != nil {
		return err
	}
	reparseResult := r
	defer func() {
		fmt.Printf("\nWARC: first crawl %.1f MB; re-harvest of the unchanged archive %.2f MB (%.1f%% of the first, revisit records)\n",
			float64(firstBytes)/1e6, float64(againBytes)/1e6, 100*float64(againBytes)/float64(max(firstBytes, 1)))
		fmt.Printf("reparse: %.2fx faster than the crawl that wrote the captures\n", wr.wall.Seconds()/reparseResult.wall.Seconds())
	}()

	r, err = crawlRun("re-crawl, unchanged archive (304s)", "main.db", "--concurrency", fmt.Sprint(concurrency), "--profile", "wilson")
	if err := add(r, err); err != nil {
		return err
	}
	r, err = crawlRun("re-crawl --incremental, nothing new", "main.db", "--incremental", "--profile", profile)
	r.pages = 0
	if err := add(r, err); err != nil {
		return err
	}

	if big > 0 {
		bsrv, err := serve(big, 0, false)
		if err != nil {
			return err
		}
		n0 := bsrv.Requests()
		db := filepath.Join(dir, "big.db")
		r, err := measure(fmt.Sprintf("harvest crawl, %d docs, --concurrency %d", big, concurrency),
			harvest("crawl", bsrv.ListingURL(0), "--db", db, "--delay", "0", "--quiet", "--concurrency", fmt.Sprint(concurrency), "--profile", "wilson"))
		r.pages, r.requests = (big+9)/10, bsrv.Requests()-n0
		bsrv.Close()
		if err := add(r, err); err != nil {
			return err
		}
		for _, format := range []string{"csv", "jsonl"} {
			r, err := measure(fmt.Sprintf("harvest export %d records, %s", big, format),
				harvest("export", "--db", db, "--format", format, "--out", filepath.Join(dir, "big."+format)))
			if err := add(r, err); err != nil {
				return err
			}
		}
	}

	if latency > 0 {
		lsrv, err := serve(latencyDocs, latency, false)
		if err != nil {
			return err
		}
		lpages := (latencyDocs + 9) / 10
		for _, c := range []int{1, concurrency} {
			name := fmt.Sprintf("%d docs at %v latency, next links one by one", latencyDocs, latency)
			if c > 1 {
				name = fmt.Sprintf("%d docs at %v latency, --concurrency %d", latencyDocs, latency, c)
			}
			n0 := lsrv.Requests()
			r, err := measure(name, harvest("crawl", lsrv.ListingURL(0), "--db", filepath.Join(dir, fmt.Sprintf("lat%d.db", c)), "--delay", "0", "--quiet", "--concurrency", fmt.Sprint(c), "--profile", "wilson"))
			r.pages, r.requests = lpages, lsrv.Requests()-n0
			if err := add(r, err); err != nil {
				return err
			}
		}
		lsrv.Close()
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\twall\tpages/s\tCPU s\tpeak RSS MB\trequests\tvs floor (wall)\t")
	for _, r := range results {
		ratio := ""
		if r.pages == pages && floorResult.wall > 0 && r.name != floorResult.name {
			ratio = fmt.Sprintf("%.2fx", floorResult.wall.Seconds()/r.wall.Seconds())
		}
		fmt.Fprintf(tw, "%s\t%.2fs\t%.0f\t%.2f\t%.1f\t%d\t%s\t\n", r.name, r.wall.Seconds(), r.pagesPerSec(), r.cpu.Seconds(), float64(r.rssKB)/1024, r.requests, ratio)
	}
	tw.Flush()
	fmt.Println("\nvs floor: the floor's wall time over the run's (above 1 is faster than the floor).")
	return runDetails(ctx, dir, harvestBin, self)
}
