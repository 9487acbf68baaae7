package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"text/tabwriter"

	"github.com/harvest-archive/harvest/fixtures"
)

// Settings of the --details part (flags in main).
var (
	detailsDocs        int
	detailsConcurrency int
	bigFileMB          int64
	onlyDetails        bool
)

// runDetails measures a crawl with document pages against a bare parallel
// colly walk of the same listing and document pages, and, when asked, the
// download of a large attachment (peak RSS must not grow with its size).
func runDetails(ctx context.Context, dir, harvestBin, self string) error {
	if detailsDocs <= 0 {
		return nil
	}
	srv, err := serve(detailsDocs, 0, false)
	if err != nil {
		return err
	}
	defer srv.Close()
	lpages := (detailsDocs + 9) / 10
	pages := lpages + detailsDocs
	fmt.Printf("\nDocument pages: %d documents, %d listing + %d document pages = %d pages, --concurrency %d\n\n", detailsDocs, lpages, detailsDocs, pages, detailsConcurrency)
	var results []result
	n0 := srv.Requests()
	fl, err := measure("bare parallel colly walk, listing + documents (floor)",
		exec.CommandContext(ctx, self, "floor-details", srv.ListingURL(0), fmt.Sprint(lpages), fmt.Sprint(detailsConcurrency)))
	fl.pages, fl.requests = pages, srv.Requests()-n0
	if err != nil {
		return err
	}
	results = append(results, fl)
	n0 = srv.Requests()
	r, err := measure(fmt.Sprintf("harvest crawl --details, --concurrency %d", detailsConcurrency),
		exec.CommandContext(ctx, harvestBin, "crawl", srv.ListingURL(0), "--db", filepath.Join(dir, "details.db"), "--delay", "0", "--quiet",
			"--concurrency", fmt.Sprint(detailsConcurrency), "--profile", "wilson", "--details"))
	r.pages, r.requests = pages, srv.Requests()-n0
	if err != nil {
		return err
	}
	results = append(results, r)
	n0 = srv.Requests()
	r, err = measure("re-crawl --details, unchanged archive",
		exec.CommandContext(ctx, harvestBin, "crawl", srv.ListingURL(0), "--db", filepath.Join(dir, "details.db"), "--delay", "0", "--quiet",
			"--concurrency", fmt.Sprint(detailsConcurrency), "--profile", "wilson", "--details"))
	r.requests = srv.Requests() - n0
	if err != nil {
		return err
	}
	results = append(results, r)
	if bigFileMB > 0 {
		for _, mb := range []int64{bigFileMB / 8, bigFileMB} {
			r, err := bigDownload(ctx, dir, harvestBin, mb)
			if err != nil {
				return err
			}
			results = append(results, r)
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\twall\tpages/s\tCPU s\tpeak RSS MB\trequests\tvs floor (wall)\t")
	for _, r := range results {
		ratio := ""
		if r.pages == pages && r.name != fl.name {
			ratio = fmt.Sprintf("%.2fx", fl.wall.Seconds()/r.wall.Seconds())
		}
		fmt.Fprintf(tw, "%s\t%.2fs\t%.0f\t%.2f\t%.1f\t%d\t%s\t\n", r.name, r.wall.Seconds(), r.pagesPerSec(), r.cpu.Seconds(), float64(r.rssKB)/1024, r.requests, ratio)
	}
	return tw.Flush()
}

// bigDownload measures `harvest crawl --files --warc` of a one-document
// archive whose first attachment is mb megabytes: its peak RSS is the
// download's (the file is streamed to disk and spooled to the WARC).
func bigDownload(ctx context.Context, dir, harvestBin string, mb int64) (result, error) {
	srv := fixtures.NewServer(fixtures.NewArchive(1, 42))
	srv.Robots = "User-agent: *\nAllow: /\n"
	srv.LargeEvery, srv.LargeSize = 1, mb<<20
	if err := srv.Start(); err != nil {
		return result{}, err
	}
	defer srv.Close()
	sub := filepath.Join(dir, fmt.Sprintf("big%d", mb))
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return result{}, err
	}
	r, err := measure(fmt.Sprintf("crawl --files --warc, one %d MB attachment", mb),
		exec.CommandContext(ctx, harvestBin, "crawl", srv.ListingURL(0), "--db", filepath.Join(sub, "h.db"), "--delay", "0", "--quiet",
			"--profile", "wilson", "--files", filepath.Join(sub, "files"), "--warc", filepath.Join(sub, "warc"), "--max-file-size", fmt.Sprint((mb+1)<<20)))
	r.requests = srv.Requests()
	os.RemoveAll(sub)
	return r, err
}
