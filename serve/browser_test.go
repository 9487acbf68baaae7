package serve

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/crawler"
	"github.com/harvest-archive/harvest/fixtures"
	"github.com/harvest-archive/harvest/store"
)

// browser finds a Chromium or Chrome to drive: $HARVEST_CHROME, else the
// usual names on the PATH.
func browser() string {
	if p := os.Getenv("HARVEST_CHROME"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// crawlFixture harvests a fixture archive into a new database, with the
// document pages and their attachments, retitles one of its documents and
// harvests again, so that the document has a history. It returns the
// database's path, the attachments directory and the retitled document's
// old and new titles.
func crawlFixture(t *testing.T) (path, filesDir, oldTitle, newTitle string) {
	t.Helper()
	ctx := context.Background()
	archive := fixtures.NewArchive(40, 7)
	srv := fixtures.NewServer(archive)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	path = filepath.Join(t.TempDir(), "fixture.db")
	filesDir = filepath.Join(t.TempDir(), "files")
	crawl := func() {
		db, err := store.Open(ctx, path, store.WithLock())
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		cfg := crawler.DefaultConfig(srv.ListingURL(0))
		cfg.Delay = time.Millisecond
		cfg.Details = crawler.DetailsNew
		cfg.FilesDir = filesDir
		cfg.Logger = slog.New(slog.DiscardHandler)
		sum, err := crawler.Run(ctx, cfg, db)
		if err != nil || sum.Outcome != harvest.OutcomeComplete {
			t.Fatalf("crawl: %v, %+v", err, sum)
		}
	}
	crawl()
	oldTitle = archive.Docs()[3].Title
	newTitle = "Retitled: " + oldTitle
	archive.SetTitle(3, newTitle)
	crawl()
	return path, filesDir, oldTitle, newTitle
}

// A browser searches a harvest for a known title, finds it, opens its
// record page and sees its history; the front page's screenshot is kept
// under build/ (the CI artefact). Without a browser the test skips, saying
// so, unless HARVEST_REQUIRE_BROWSER is set (CI sets it).
func TestBrowser(t *testing.T) {
	exe := browser()
	if exe == "" && os.Getenv("HARVEST_REQUIRE_BROWSER") != "" {
		t.Fatal("no browser installed (looked for chromium, chromium-browser, google-chrome; set HARVEST_CHROME), and HARVEST_REQUIRE_BROWSER is set")
	}
	if exe == "" {
		t.Skip("no browser installed (looked for chromium, chromium-browser, google-chrome; set HARVEST_CHROME): the browser test did not run")
	}
	if testing.Short() {
		t.Skip("-short: the browser test did not run")
	}
	path, filesDir, oldTitle, newTitle := crawlFixture(t)
	db, err := store.OpenReadOnly(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := New(Config{DB: db, DBPath: path, Files: filesDir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The browser lives as long as ctx: a timer, not a deadline, bounds it.
	stop := time.AfterFunc(2*time.Minute, cancel)
	defer stop.Stop()

	// The front page, and its screenshot.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("svg.chart")),
	); err != nil {
		t.Fatalf("front page: %v", err)
	}
	saveShot(t, ctx, "serve-front.png")
	// "/" moves the focus to the search box.
	if err := chromedp.Do(ctx, chromedp.KeyEvent("/")); err != nil {
		t.Fatal(err)
	}
	if focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`)); err != nil || focused != "quick-q" {
		t.Errorf(`after "/", the focus is on %q (%v), want the search box`, focused, err)
	}

	// Search for the retitled document by its new title, as a phrase.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/search"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), `"`+newTitle+`"`),
		chromedp.Submit(chromedp.ID("q")),
		chromedp.WaitVisible(chromedp.CSS(".hit h3 a")),
	); err != nil {
		t.Fatalf("search: %v", err)
	}
	saveShot(t, ctx, "serve-search.png")
	first, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".hit h3 a")))
	if err != nil || first != newTitle {
		t.Errorf("first hit %q (%v), want %q", first, err, newTitle)
	}

	// Its record page, with the change of title in its history.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(".hit h3 a")),
		chromedp.WaitVisible(chromedp.ID("history")),
	); err != nil {
		t.Fatalf("record page: %v", err)
	}
	saveShot(t, ctx, "serve-record.png")
	h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil {
		t.Fatal(err)
	}
	history, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#history + div table")))
	if err != nil {
		t.Fatal(err)
	}
	if h1 != newTitle || !strings.Contains(history, oldTitle) || !strings.Contains(history, "title") {
		t.Errorf("record page h1 %q, history %q; want the change from %q", h1, history, oldTitle)
	}
	// Its document page's fields, and its attachments, each a link to the
	// file by its sha256.
	fields, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#document + dl")))
	if err != nil || !strings.Contains(fields, "Fetched") {
		t.Errorf("document page fields %q (%v)", fields, err)
	}
	attachments, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#attachments + div a[href^="/files/"]').length`))
	if err != nil || attachments == 0 {
		t.Errorf("%d attachment links (%v)", attachments, err)
	}

	// At a phone's width, no page is wider than the screen.
	for _, p := range []string{"/", "/search?q=telegram", "/search"} {
		if err := chromedp.Do(ctx,
			chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
			chromedp.Navigate(ts.URL+p),
			chromedp.WaitVisible(chromedp.CSS("main")),
		); err != nil {
			t.Fatalf("%s at phone width: %v", p, err)
		}
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		if err != nil || wide {
			w, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
			t.Errorf("%s at 360 px: the page is %d px wide (%v)", p, w, err)
		}
	}
}

// saveShot keeps a screenshot of the whole page under build/.
func saveShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	out := filepath.Join("..", "build", name)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(shot))
}
