package harvest

import (
	"crypto/sha256"
	"encoding/hex"
)

// ListingHash is a digest of what a listing row says of a record (title,
// dates, summary): a document page fetched for one digest is fetched again
// when the record's listing row shows another.
func ListingHash(r Record) string {
	h := sha256.New()
	for _, f := range [...]string{r.Title, r.Date, r.DateText, r.Summary} {
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// DocumentTask is a record whose document page is due: never stored, failed
// last time, fetched for a listing row that has changed since, or asked for
// again (--details=all). ETag and LastModified are the validators of the page
// stored, for a conditional request; "" when none.
type DocumentTask struct {
	URL          string // the record's URL: the page to fetch
	ListingHash  string // ListingHash of the record's listing row now
	ETag         string
	LastModified string
	Stored       bool // a page is stored for it already
	Attempts     int  // fetches of it that failed before
}

// DocumentResult is a fetched document page ready to store, or a fetch that
// failed (Err set, Document.Status the last HTTP status, 0 for none). A
// failure keeps what an earlier fetch stored.
type DocumentResult struct {
	WalkID       int64
	Document     Document // URL always set; the rest when fetched
	ListingHash  string   // from the DocumentTask
	ETag         string
	LastModified string
	// NotModified is a 304 answer: the stored page stands, seen again now.
	NotModified bool
	Err         error
}

// FileTask is an attachment link of a stored document page. Entry is its
// manifest row when it was downloaded before (SHA256 != ""): the caller
// checks the file is still there before fetching it again.
type FileTask struct {
	RecordURL string
	URL       string
	Label     string
	Position  int // the link's place on its page
	Entry     FileEntry
	Attempts  int // downloads of it that failed before
}
