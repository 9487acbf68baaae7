// Package serve is `harvest serve`: a local, read-only web application over
// a harvest database. It searches the records (full text, ranked and
// highlighted, filtered by date and by what changed since a date), shows
// the collection at a glance (documents per year, completeness against the
// listing's total, the last runs, the pages that failed), every record with
// its change history and — given the WARC directory — the pages as they were
// captured, downloads a search as CSV or JSON with the export package's
// encoders, and follows a crawl under way.
//
// It is built on net/http's routing and html/template: every harvested
// string is escaped, assets are embedded (no CDN, no build step), the
// Content-Security-Policy forbids inline script, and every page works
// without JavaScript (a small script only refreshes a crawl's progress and
// gives "/" to the search box). The database is opened read-only and no
// route writes.
package serve

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/harvest-archive/harvest/store"
)

// DefaultAddr is where the server listens unless told otherwise: loopback
// only, so that a harvest is not shown to the network by accident.
const DefaultAddr = "127.0.0.1:8080"

// CSP is the Content-Security-Policy of every page: scripts, styles and
// images from the server itself only (so no inline script runs, whatever a
// harvested title holds), no plugins, no framing, forms to the server only.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// sandboxCSP is the policy of content served as it was captured or
// downloaded (a page of the harvested site, an attachment): no script, no
// fetching of anything, an origin of its own.
const sandboxCSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what a Server serves.
type Config struct {
	DB     *store.DB    // opened with store.OpenReadOnly
	DBPath string       // shown in the footer
	Files  string       // the attachments directory (--files); "" for none
	WARC   string       // the WARC directory (--warc); "" for none
	Logger *slog.Logger // nil: slog.Default()
	// Now gives the time (tests fix it).
	Now func() time.Time
}

// Server is the web application.
type Server struct {
	cfg   Config
	log   *slog.Logger
	pages map[string]*template.Template
	mux   *http.ServeMux
}

// New makes the server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.DB == nil {
		return nil, errors.New("serve: no database")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger, pages: map[string]*template.Template{}}
	for _, name := range []string{"overview", "search", "record", "capture", "error"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("serve: template %s: %w", name, err)
		}
		s.pages[name] = t
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.overview)
	m.HandleFunc("GET /search", s.search)
	m.HandleFunc("GET /search.csv", s.download("csv"))
	m.HandleFunc("GET /search.json", s.download("json"))
	m.HandleFunc("GET /record", s.record)
	m.HandleFunc("GET /capture", s.capture)
	m.HandleFunc("GET /capture/raw", s.captureRaw)
	m.HandleFunc("GET /files/{sha256}", s.file)
	m.HandleFunc("GET /progress.json", s.progress)
	m.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(time.Hour, http.FileServerFS(static))))
	m.HandleFunc("/", s.notFound)
	s.mux = m
	return s, nil
}

// ServeHTTP serves a request with the security headers every answer carries.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	s.mux.ServeHTTP(w, r)
}

func cacheFor(d time.Duration, h http.Handler) http.Handler {
	v := fmt.Sprintf("public, max-age=%d", int(d.Seconds()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", v)
		h.ServeHTTP(w, r)
	})
}

// Loopback reports whether addr (host:port) listens only on this machine:
// a loopback address or "localhost". An empty host listens everywhere.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// localOnly answers only the requests whose Host names this machine: a
// loopback address or localhost. A server on a loopback address is for this
// machine's browser; a request naming another host there comes from a page
// that pointed its own name at 127.0.0.1 (DNS rebinding) to read the harvest
// through that browser, and is refused with 421 Misdirected Request.
func localOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if !Loopback(net.JoinHostPort(strings.Trim(host, "[]"), "0")) {
			http.Error(w, "this server answers only requests to localhost or a loopback address", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ListenAndServe serves on addr until ctx ends, then shuts down, letting
// requests under way finish for up to five seconds. It logs a warning when
// addr is not a loopback address; on a loopback address it answers only
// requests addressed to localhost or a loopback address (see localOnly).
// ready, when not nil, is called with the address listened on (the port
// chosen when addr's is 0).
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(addr string)) error {
	var h http.Handler = s
	if Loopback(addr) {
		h = localOnly(s)
	} else {
		s.log.Warn("serving beyond this machine: anyone who can reach this address can read the harvest", "addr", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return fmt.Errorf("serve: shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
