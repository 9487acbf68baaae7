package store

import (
	"context"

	"github.com/harvest-archive/harvest"
)

// Reader is the reading side of a harvest database: what export, stats and
// history use, what reparse asks of the walks (ListingPages), and what the
// tests look at (LastWalk, Frontier).
type Reader interface {
	// Records calls fn for every record, in the order first stored.
	Records(ctx context.Context, fn func(harvest.Record) error) error
	// Record returns the stored record of url, if there is one.
	Record(ctx context.Context, url string) (harvest.Record, bool, error)
	// Changes calls fn for every recorded change, oldest first; with url
	// set, for that record only.
	Changes(ctx context.Context, url string, fn func(harvest.Change) error) error
	// Runs lists the runs, oldest first.
	Runs(ctx context.Context) ([]Run, error)
	// Stats summarises the database.
	Stats(ctx context.Context) (Stats, error)
	// Count is the number of records.
	Count(ctx context.Context) (int, error)
	// ListingPages calls fn for each listing page of any walk, with the
	// newest walk holding it.
	ListingPages(ctx context.Context, fn func(url string, walkID int64) error) error
	// LastWalk returns the newest walk of startURL, finished or not.
	LastWalk(ctx context.Context, startURL string) (harvest.Walk, error)
	// Frontier lists every page of a walk, in the order found.
	Frontier(ctx context.Context, walkID int64) ([]FrontierPage, error)
	// Documents calls fn for every stored document page, in the order of
	// Records (a record with no page stored has none).
	Documents(ctx context.Context, fn func(harvest.Document) error) error
	// Files calls fn for every downloaded attachment in the manifest, in
	// the order of Records, then as each page lists them.
	Files(ctx context.Context, fn func(harvest.FileEntry) error) error
	// Details calls fn for every record, in the order of Records, with its
	// stored document page as Documents gives it, or nil when it has none.
	Details(ctx context.Context, fn func(harvest.Record, *harvest.Document) error) error
	// Close releases the database (and its lock, if held).
	Close() error
}

// Backend is everything the crawler and the commands use of a harvest
// database: the seam a second backend (PostgreSQL, for several processes
// sharing one frontier) implements, and the conformance suite in
// store/storetest specifies. It holds no SQL types.
type Backend interface {
	Reader

	// Lock takes the database for this process alone; a second holder gets
	// harvest.ErrLocked.
	Lock() error

	// Walks and their frontier.
	FindWalk(ctx context.Context, startURL string) (harvest.Walk, bool, error)
	NewWalk(ctx context.Context, startURL, kind, listing string) (harvest.Walk, error)
	Pending(ctx context.Context, walkID int64) ([]harvest.PendingPage, error)
	Known(ctx context.Context, walkID int64, url string) (seq int64, done, known bool, err error)
	FinishWalk(ctx context.Context, walkID int64) error
	WalkRecords(ctx context.Context, walkID int64) (int, error)
	MarkGone(ctx context.Context, w harvest.Walk, runID int64) (int, error)
	MarkFailed(ctx context.Context, walkID int64, url string, status int, cause error, enqueue []string) error
	MarkFailedKind(ctx context.Context, walkID int64, url, kind string, status int, cause error, enqueue []string) error
	MarkSkipped(ctx context.Context, walkID int64, url, reason string) error

	// Pages: storing them and their cache for conditional requests.
	SavePages(ctx context.Context, pages []harvest.PageResult) ([]harvest.Counts, error)
	HasPageCache(ctx context.Context) (bool, error)
	PageCache(ctx context.Context, url string) (harvest.CachedPage, bool, error)
	PageRecords(ctx context.Context, walkID int64, fn func(page string, records []string)) error

	// Document pages (documents.go) and attachments (files.go): the
	// records' pages due, stored, failed; the attachment links due, their
	// manifest rows, failed downloads.
	DocumentsDue(ctx context.Context, walkID int64, all bool, fn func(harvest.DocumentTask) error) error
	SaveDocuments(ctx context.Context, docs []harvest.DocumentResult) error
	FilesDue(ctx context.Context, fn func(harvest.FileTask) error) error
	SaveFile(ctx context.Context, e harvest.FileEntry, position int) error
	MarkFileFailed(ctx context.Context, t harvest.FileTask, status int, cause error) error

	// Runs.
	BeginRun(ctx context.Context, w harvest.Walk) (int64, error)
	FinishRun(ctx context.Context, runID int64, s harvest.RunSummary) error
}

var (
	_ Backend = (*DB)(nil)
	_ Reader  = (*DB)(nil)
)
