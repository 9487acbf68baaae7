package harvest

import "time"

// Document is what a record's own document page holds beyond its listing
// row: every labelled field, the text tabs and the attachment links. URL is
// the record's URL (its key); a document page is fetched for a record the
// listing showed.
type Document struct {
	URL       string    // the record's canonical URL
	FetchURL  string    // the URL the page was fetched from, when not URL (a redirect)
	NodeID    string    // the site's internal id (Drupal "node/{id}"), when the page says
	Title     string    // as the document page gives it; may differ from the listing's
	Date      string    // normalised (EDTF), like Record.Date
	DateText  string    // verbatim
	Summary   string    // the description
	Fields    []Field   // every labelled value, in page order, known labels and unknown
	Texts     []Text    // full text, translation, transcript tabs
	Links     []Link    // attachment links, in page order
	Status    int       // HTTP status of the last fetch (200 when stored from a page)
	FetchedAt time.Time // UTC; when the page was last fetched (set by the store when zero)
}

// Field is one labelled value of a document page. Key is the canonical name
// of a label the profile knows (see DocumentKeys); for any other label Key is
// "" and Label keeps the page's own words: nothing is dropped.
type Field struct {
	Key    string   // canonical key, or "" for a label the profile does not know
	Label  string   // the label as the page shows it
	Values []string // one or more values, verbatim, white space collapsed
}

// Text is one tab of a document's text: "Original", "Translation", "Transcript"...
type Text struct {
	Label string
	Body  string // plain text, paragraphs separated by blank lines
}

// Link is an attachment link of a document page.
type Link struct {
	URL   string // absolute
	Label string // the link text or its title
}

// DocumentKeys are the canonical keys of the labelled fields of a document
// page, in the order exports write them.
var DocumentKeys = []string{
	"source", "original_archive", "rights", "record_id", "original_uploaded_date",
	"original_classification", "language", "author", "associated_people",
	"associated_places", "subjects", "donors", "document_contributor",
}

// Value returns the values of the field with key (or, when key is not
// canonical, with that label), or nil.
func (d Document) Value(key string) []string {
	var out []string
	for _, f := range d.Fields {
		if f.Key == key || (f.Key == "" && f.Label == key) {
			out = append(out, f.Values...)
		}
	}
	return out
}

// FileEntry is one downloaded attachment in the manifest: what was fetched,
// from where, for which record, and the content-addressed file that holds it.
type FileEntry struct {
	RecordURL   string
	URL         string // the attachment URL (as linked)
	Label       string
	ContentType string
	Size        int64
	SHA256      string    // lower-case hex of the content; the file's name under the files directory
	FetchedAt   time.Time // UTC
}
