package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/fetch"
	"github.com/harvest-archive/harvest/parser"
)

// kindDocument is the kind of a document page's task.
const kindDocument = harvest.KindDocument

// Details says which records' document pages a crawl fetches.
type Details int

const (
	// DetailsNone fetches no document pages.
	DetailsNone Details = iota
	// DetailsNew fetches the pages of records new since the last fetch,
	// whose listing row changed, or whose last fetch failed (--details).
	DetailsNew
	// DetailsAll fetches every listed record's page again, once per walk
	// (--details=all); conditionally, when the page stored has validators.
	DetailsAll
)

// documentHandler fetches and parses records' document pages.
type documentHandler struct{ *crawl }

func (h documentHandler) prepare(ctx context.Context, t *task) {}

// fetch fetches one document page, conditionally when a page is stored for
// the same listing row, and parses it.
func (h documentHandler) fetch(ctx context.Context, t task) result {
	c := h.crawl
	r := result{kind: kindDocument, url: t.url}
	r.doc = harvest.DocumentResult{WalkID: c.walk.ID, Document: harvest.Document{URL: t.url}, ListingHash: t.doc.ListingHash}
	hdr := http.Header{}
	if t.doc.Stored {
		if t.doc.ETag != "" {
			hdr.Set("If-None-Match", t.doc.ETag)
		}
		if t.doc.LastModified != "" {
			hdr.Set("If-Modified-Since", t.doc.LastModified)
		}
	}
	resp, err := c.f.Get(ctx, t.url, hdr)
	if err != nil {
		r.err = err
		var fe *fetch.Error
		if errors.As(err, &fe) {
			r.status = fe.Status
		}
		r.doc.Document.Status = r.status
		return r
	}
	r.status = resp.Status
	r.doc.Document.Status = resp.Status
	r.doc.ETag, r.doc.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	switch {
	case resp.Status == http.StatusNotModified && t.doc.Stored:
		r.doc.NotModified, r.notModified = true, true
		return r
	case resp.Challenge:
		r.err = fmt.Errorf("%s: HTTP %d: %w", t.url, resp.Status, harvest.ErrChallenge)
		return r
	case resp.Status != http.StatusOK:
		r.err = &fetch.Error{URL: t.url, Status: resp.Status, Err: errors.New(http.StatusText(resp.Status))}
		return r
	}
	at := t.url
	if resp.Redirected {
		at = resp.URL
	}
	// A bot challenge in place of the page (200 and an interstitial) is
	// told by the parser: a page that holds nothing of a document and
	// whose body is a challenge.
	doc, err := parseDocument(resp.Body, at, c.cfg.Profile)
	if err != nil {
		r.err = err
		if errors.Is(err, harvest.ErrChallenge) {
			c.f.Halt()
		}
		return r
	}
	doc.URL, doc.Status, doc.FetchURL = t.url, resp.Status, ""
	if at != t.url {
		doc.FetchURL = at
	}
	r.doc.Document = doc
	return r
}

// parseDocument runs the document parser, turning a panic on some
// unforeseen page into that page's error.
func parseDocument(body []byte, u string, p parser.Profile) (doc harvest.Document, err error) {
	defer func() {
		if v := recover(); v != nil {
			doc, err = harvest.Document{URL: u}, fmt.Errorf("%s: document parser failed: %v", u, v)
		}
	}()
	return parser.ParseDocument(body, u, p)
}

// judge stops the run on a bot challenge (the site refuses automated
// access: every further request would meet it), once the page's failure is
// recorded; a document page leads nowhere else.
func (h documentHandler) judge(ctx context.Context, r *result) ([]task, error) {
	return nil, h.stopOn(ctx, r, h.failed)
}

// stopOn is the judgement of the kinds that keep their own results
// (document pages, attachments): an interrupted run's failure is the
// interruption; a bot challenge or a capture that cannot be written halts
// the client and stops the run, once failed has recorded the page.
func (c *crawl) stopOn(ctx context.Context, r *result, failed func(context.Context, result) error) error {
	if ctx.Err() != nil && r.err != nil {
		return ctx.Err()
	}
	if errors.Is(r.err, harvest.ErrChallenge) || errors.Is(r.err, fetch.ErrCapture) {
		if err := failed(ctx, *r); err != nil {
			return err
		}
		c.f.Halt()
		return r.err
	}
	return nil
}

func (h documentHandler) stored(r result, cnt harvest.Counts) {}

// keep stores document pages, a group in one transaction.
func (h documentHandler) keep(ctx context.Context, rs []result) error {
	docs := make([]harvest.DocumentResult, len(rs))
	for i, r := range rs {
		docs[i] = r.doc
	}
	if err := h.st.SaveDocuments(ctx, docs); err != nil {
		return err
	}
	for _, r := range rs {
		h.tally.done(kindDocument)
		h.sum.Documents++
		if r.notModified {
			h.sum.DocumentsNotModified++
		}
	}
	return nil
}

// failed records a document page that failed, with its status: the record
// stays, and the page is due again next run.
func (h documentHandler) failed(ctx context.Context, r result) error {
	d := r.doc
	d.WalkID = h.walk.ID
	d.Err = r.err
	d.Document = harvest.Document{URL: r.url, Status: r.status}
	h.sum.FailedDocuments++
	h.tally.failed(kindDocument)
	h.detailProblems = append(h.detailProblems, r.err.Error())
	h.log.Warn("document page failed", "url", r.url, "status", r.status, "err", r.err)
	return h.st.SaveDocuments(ctx, []harvest.DocumentResult{d})
}

// documents fetches the document pages due, within the run's politeness
// and concurrency, storing them as they come.
func (c *crawl) documents(ctx context.Context) error {
	var queue []task
	err := c.st.DocumentsDue(ctx, c.walk.ID, c.cfg.Details == DetailsAll, func(d harvest.DocumentTask) error {
		if !sameHost(d.URL, c.host) {
			return nil // a record on another host: not this crawl's to fetch
		}
		queue = append(queue, task{kind: kindDocument, url: d.URL, doc: &d})
		return nil
	})
	if err != nil {
		return err
	}
	c.log.Info("fetching document pages", "due", len(queue))
	c.docsDue = len(queue)
	return c.loop(ctx, queue, nil)
}

// details fetches the document pages due and then, with a files directory,
// the attachments due. --max-pages bounds the listing alone.
func (c *crawl) details(ctx context.Context) error {
	bounded := c.bounded
	c.walkOver = true
	defer func() { c.bounded, c.walkOver = bounded, false }()
	if c.cfg.Details != DetailsNone {
		if err := c.documents(ctx); err != nil {
			return err
		}
	}
	if h, ok := c.handlers[kindAttachment].(attachmentHandler); ok {
		return c.attachments(ctx, h)
	}
	return nil
}
