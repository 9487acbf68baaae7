// Command harvest-fleet-bench measures a fleet of harvest workers sharing
// one PostgreSQL database: fixture archives served on many loopback hosts
// (127.0.0.2, 127.0.0.3, ...: distinct hosts to a crawler), each politely
// limited (--delay, --concurrency) for the whole fleet by the database,
// harvested by 1, 2 and 4 workers. Each worker is a loop of `harvest crawl`
// processes, taking the next host's start URL no worker has taken. It prints
// the throughput of each fleet and, per host, the most requests the server
// saw in flight at once and how many requests started sooner than the delay
// after the one before (both must stay within the limit).
//
// It needs a PostgreSQL database it may create schemas in: -pg, or
// HARVEST_TEST_PG (.ci/pg-start.sh starts a throwaway cluster). Usage:
//
//	go run ./cmd/harvest-fleet-bench [-hosts 8] [-docs 200] [-delay 100ms] [-workers 1,2,4]
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/harvest-archive/harvest/fixtures"
)

func main() {
	pg := flag.String("pg", os.Getenv("HARVEST_TEST_PG"), "PostgreSQL URL to create the benchmark's schemas in")
	hosts := flag.Int("hosts", 8, "fixture archives, each on its own loopback address")
	docs := flag.Int("docs", 200, "documents per archive (10 per listing page)")
	delay := flag.Duration("delay", 100*time.Millisecond, "harvest --delay: between request starts to a host, for the whole fleet")
	concurrency := flag.Int("concurrency", 1, "harvest --concurrency: requests in flight to a host, for the whole fleet")
	workers := flag.String("workers", "1,2,4", "fleet sizes to measure")
	harvestBin := flag.String("harvest", "", "harvest binary (default: build ./cmd/harvest)")
	flag.Parse()
	if *pg == "" {
		fmt.Fprintln(os.Stderr, "harvest-fleet-bench: no database: set -pg or HARVEST_TEST_PG (.ci/pg-start.sh starts one)")
		os.Exit(2)
	}
	var sizes []int
	for _, s := range strings.Split(*workers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "harvest-fleet-bench: -workers: bad size %q\n", s)
			os.Exit(2)
		}
		sizes = append(sizes, n)
	}
	b := bench{pg: *pg, hosts: *hosts, docs: *docs, delay: *delay, concurrency: *concurrency, bin: *harvestBin}
	if err := b.run(context.Background(), sizes); err != nil {
		fmt.Fprintln(os.Stderr, "harvest-fleet-bench:", err)
		os.Exit(1)
	}
}

type bench struct {
	pg          string
	hosts, docs int
	delay       time.Duration
	concurrency int
	bin         string
	dir         string
}

func (b *bench) run(ctx context.Context, sizes []int) error {
	dir, err := os.MkdirTemp("", "harvest-fleet-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b.dir = dir
	if b.bin == "" {
		b.bin = filepath.Join(dir, "harvest")
		build := exec.CommandContext(ctx, "go", "build", "-o", b.bin, "./cmd/harvest")
		build.Stderr = os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build harvest: %w", err)
		}
	}
	pages := (b.docs + 9) / 10
	fmt.Printf("%d archives of %d documents (%d listing pages each), on 127.0.0.2 to 127.0.0.%d;\n", b.hosts, b.docs, pages, b.hosts+1)
	fmt.Printf("each host limited to %d request(s) in flight and %s between starts, for the whole fleet.\n\n", b.concurrency, b.delay)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "workers\twall\tlisting pages\tpages/s\tspeed-up\tmost in flight at a host\tstarts < %s apart\tclosest starts\t\n", b.delay-b.delay/10)
	var base float64
	for _, w := range sizes {
		r, err := b.fleet(ctx, w)
		if err != nil {
			return err
		}
		rate := float64(r.pages) / r.wall.Seconds()
		if base == 0 {
			base = rate
		}
		fmt.Fprintf(tw, "%d\t%.1f s\t%d\t%.1f\t%.2fx\t%d\t%d\t%s\t\n", w, r.wall.Seconds(), r.pages, rate, rate/base, r.maxInFlight, r.violations, r.closest.Round(time.Millisecond))
	}
	return tw.Flush()
}

// outcome is one fleet's run.
type outcome struct {
	wall        time.Duration
	pages       int
	maxInFlight int
	violations  int
	closest     time.Duration // the least time between two starts at one host
}

// fleet harvests every archive with w workers into a schema of its own.
func (b *bench) fleet(ctx context.Context, w int) (outcome, error) {
	var o outcome
	dsn, drop, err := b.schema(ctx, fmt.Sprintf("fleet_bench_%d_%d", os.Getpid(), w))
	if err != nil {
		return o, err
	}
	defer drop()
	srvs := make([]*fixtures.Server, b.hosts)
	starts := make([]string, b.hosts)
	for i := range srvs {
		srv := fixtures.NewServer(fixtures.NewArchive(b.docs, uint64(i+1)))
		srv.Robots = "User-agent: *\nAllow: /\n"
		srv.Addr = fmt.Sprintf("127.0.0.%d:0", i+2)
		srv.MinGap = b.delay - b.delay/10 // leeway for scheduling between the gate and the wire
		if err := srv.Start(); err != nil {
			return o, err
		}
		defer srv.Close()
		srvs[i], starts[i] = srv, srv.ListingURL(0)
	}
	// The hosts are handed out one at a time: a worker takes the next host
	// no worker has taken, until none is left.
	next := make(chan string, len(starts))
	for _, s := range starts {
		next <- s
	}
	close(next)
	var mu sync.Mutex // guards firstErr
	var firstErr error
	var wg sync.WaitGroup
	began := time.Now()
	for k := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := range next {
				cmd := exec.CommandContext(ctx, b.bin, "crawl", start, "--db", dsn, "--delay", b.delay.String(),
					"--concurrency", strconv.Itoa(b.concurrency), "--quiet")
				var errb strings.Builder
				cmd.Stderr = &errb
				if err := cmd.Run(); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("worker %d, crawl %s: %v\n%s", k, start, err, errb.String())
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	o.wall = time.Since(began)
	if firstErr != nil {
		return o, firstErr
	}
	o.closest = time.Hour
	for _, srv := range srvs {
		log := srv.Log()
		for i, h := range log {
			if strings.HasPrefix(h.URI, "/search") {
				o.pages++
			}
			if i > 0 {
				o.closest = min(o.closest, h.Start.Sub(log[i-1].Start))
			}
		}
		o.maxInFlight = max(o.maxInFlight, srv.MaxInFlight())
		o.violations += srv.Violations()
	}
	return o, nil
}

// schema makes a new schema and returns the database URL that uses it, and
// the function that drops it.
func (b *bench) schema(ctx context.Context, name string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, b.pg)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	id := pgx.Identifier{name}.Sanitize()
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+id+` CASCADE; CREATE SCHEMA `+id); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(b.pg)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		if c, err := pgx.Connect(context.Background(), b.pg); err == nil {
			_, _ = c.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+id+` CASCADE`)
			c.Close(context.Background())
		}
	}, nil
}
