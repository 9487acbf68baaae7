// Package harvest holds the types that the parts of the harvester pass between
// them: records parsed from listing pages, the pages themselves, and the few
// errors that callers must tell apart. It imports none of its subpackages:
// crawler fetches, parser extracts, store keeps and export writes, and each of
// them speaks in these types.
package harvest

import (
	"errors"
	"time"
)

// Version is the harvester's version, sent in the default User-Agent.
const Version = "0.1.0"

// DefaultStartURL is the listing a crawl starts from when none is given.
const DefaultStartURL = "https://digitalarchive.wilsoncenter.org/search"

// Record is one document as a listing page shows it.
//
// URL is the canonical document URL and the record's key: two records with
// the same title are distinct documents unless their URLs are equal.
type Record struct {
	URL        string    // canonical absolute document URL (see CanonicalURL)
	Title      string    // plain text, white space collapsed, otherwise verbatim
	Date       string    // DateText normalised to ISO 8601 / EDTF; "" when unreadable
	DateText   string    // the date exactly as the listing shows it
	Summary    string    // plain text, white space collapsed
	ListingURL string    // the listing page where the record was last seen
	FirstSeen  time.Time // UTC; set by the store
	LastSeen   time.Time // UTC; set by the store
	GoneAt     time.Time // when a complete walk no longer listed it; zero while listed
}

// Fields names the record's own fields, in the order of Values. Exports add
// date_start and date_end after date (export.RecordColumns).
var Fields = []string{"url", "title", "date", "date_text", "summary", "listing_url", "first_seen", "last_seen", "gone_at"}

// Values returns the record's fields in the order of Fields, times in RFC 3339 UTC.
func (r Record) Values() []string {
	return []string{r.URL, r.Title, r.Date, r.DateText, r.Summary, r.ListingURL, FormatTime(r.FirstSeen), FormatTime(r.LastSeen), FormatTime(r.GoneAt)}
}

// Change is one changed field of a stored record.
type Change struct {
	URL        string
	ChangedAt  time.Time
	Field      string // title, date, date_text, summary; gone or returned
	Old, New   string
	ListingURL string // the listing page where the change was seen
}

// ChangeFields names the columns of a history export, in order.
var ChangeFields = []string{"url", "changed_at", "field", "old_value", "new_value", "listing_url"}

// Values returns the change's fields in the order of ChangeFields.
func (c Change) Values() []string {
	return []string{c.URL, FormatTime(c.ChangedAt), c.Field, c.Old, c.New, c.ListingURL}
}

// FormatTime formats t as RFC 3339 in UTC with second precision, or "" for the zero time.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// Window is the "X - Y of T" line of a listing page. A zero Total means the page
// did not say.
type Window struct {
	First, Last, Total int
}

// ListingPage is what the parser extracts from one listing page.
type ListingPage struct {
	URL      string   // the page's own URL
	Records  []Record // in page order
	Window   Window   // the results line, when the page has one
	Next     string   // absolute URL of the next page; "" on the last page
	Strategy string   // "profile" or "auto": how the records were found
	Warnings []string // problems that did not stop the parse (each names the page)
}

// Errors that callers tell apart.
var (
	// ErrChallenge means the site answered with a bot challenge or interstitial
	// page instead of content: it is refusing automated access.
	ErrChallenge = errors.New("site is refusing automated access (bot challenge page)")
	// ErrNoRecords means a page with content yielded no records.
	ErrNoRecords = errors.New("no records found on a page that has content")
	// ErrLocked means another harvest process holds the database.
	ErrLocked = errors.New("database is locked by another harvest process")
	// ErrUnreachable means the start host could not be reached at all.
	ErrUnreachable = errors.New("start host unreachable")
	// ErrPartial means the run finished but some pages failed for good.
	ErrPartial = errors.New("harvest incomplete")
)

// Counts tallies what pages did to the stored records.
type Counts struct {
	New       int `json:"new"`       // records not stored before
	Updated   int `json:"updated"`   // stored records whose title, date or summary changed
	Unchanged int `json:"unchanged"` // stored records seen again as they were
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.New += o.New
	c.Updated += o.Updated
	c.Unchanged += o.Unchanged
}

// Outcomes of a run.
const (
	OutcomeRunning     = "running"
	OutcomeComplete    = "complete"
	OutcomePartial     = "partial"
	OutcomeInterrupted = "interrupted"
	OutcomeFailed      = "failed"
)

// RunSummary is what one `harvest crawl` did.
type RunSummary struct {
	Pages       int `json:"pages"`        // listing pages fetched and stored
	Requests    int `json:"requests"`     // HTTP requests sent, retries and robots.txt included
	FailedPages int `json:"failed_pages"` // pages that failed for good
	Counts
	NotModified   int    `json:"not_modified"`   // pages answered 304 Not Modified
	Gone          int    `json:"gone"`           // records the listing no longer shows, marked gone
	Repaired      int    `json:"repaired_pages"` // pages fetched again to repair pagination drift
	Records       int    `json:"records"`        // distinct records seen in this walk so far
	TotalReported int    `json:"listing_total"`  // the listing's own total ("of T"); 0 when it gave none
	Mode          string `json:"mode"`           // WalkFull or WalkIncremental
	Outcome       string `json:"outcome"`        // one of the Outcome constants
	Message       string `json:"message"`        // why the run ended as it did, when not complete
	// Document pages and attachments (crawl --details, --files).
	Documents            int   `json:"documents,omitempty"`              // document pages stored (304 answers included)
	DocumentsNotModified int   `json:"documents_not_modified,omitempty"` // of those, answered 304 Not Modified
	FailedDocuments      int   `json:"failed_documents,omitempty"`       // document pages that failed (recorded; retried next run)
	Files                int   `json:"files,omitempty"`                  // attachments downloaded and put in the manifest
	FilesPresent         int   `json:"files_present,omitempty"`          // attachments already held, not fetched again
	FileBytes            int64 `json:"file_bytes,omitempty"`             // bytes of attachments downloaded
	FailedFiles          int   `json:"failed_files,omitempty"`           // attachments that failed or were not kept (recorded; retried next run)
}

// Walk is one pass over a listing from its start URL. An interrupted walk is
// taken up again by the next run of the same start URL, which fetches only the
// pages it had not stored.
type Walk struct {
	ID       int64
	StartURL string
	Kind     string // WalkFull or WalkIncremental
	Listing  string // the listing walked: StartURL without a newest-first ordering
	Total    int    // the listing's total as last seen; 0 if unknown
}

// Kinds of walk. A full walk visits every page, resumes when interrupted, and
// when complete marks the records its listing no longer shows as gone. An
// incremental walk stops at the first page with nothing new.
const (
	WalkFull        = "full"
	WalkIncremental = "incremental"
)

// Kinds of page a crawl fetches: a listing page of records, a document's
// own page, and an attachment of a document. An empty kind means a listing.
const (
	KindListing    = "listing"
	KindDocument   = "document"
	KindAttachment = "attachment"
)

// CachedPage is what the store keeps of a listing page's last good answer:
// the validators for a conditional request, and what the page held.
type CachedPage struct {
	URL          string
	ETag         string
	LastModified string
	Next         string
	Total        int
}

// PendingPage is a page of a walk still to fetch.
type PendingPage struct {
	URL      string
	Kind     string // one of the Kind constants; "" means KindListing
	Failed   bool   // it failed in an earlier run (these come first)
	Attempts int
}

// PageResult is a fetched listing page, ready to store.
type PageResult struct {
	WalkID  int64
	RunID   int64
	URL     string
	Kind    string // one of the Kind constants; "" means KindListing
	Status  int
	Records []Record
	Total   int      // the page's "of T"; 0 when none
	Enqueue []string // listing pages it leads to, for the walk's frontier
	// Charset is what the page was decoded from; InvalidBytes counts bytes
	// not valid in it (replaced by U+FFFD): such a page is flagged.
	Charset      string
	InvalidBytes int
	// ETag and LastModified are the page's validators; Next its next link.
	ETag, LastModified, Next string
	// NotModified is a 304 answer: the records the page held last time are
	// seen again as they were.
	NotModified bool
	// SeenAt is when the page was fetched, when that was not now (a page
	// re-parsed from its capture): its records were seen then. Zero: now.
	SeenAt time.Time
	// Reparsed: the page was parsed again from its capture, not fetched;
	// when its records are those stored for it already, nothing is written.
	Reparsed bool
}
