package crawler

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/harvest-archive/harvest"
	"github.com/harvest-archive/harvest/fetch"
	"github.com/harvest-archive/harvest/files"
	"github.com/harvest-archive/harvest/parser"
)

// kindAttachment is the kind of an attachment's task.
const kindAttachment = harvest.KindAttachment

// DefaultMaxFileSize is the largest attachment kept (--max-file-size).
const DefaultMaxFileSize = 200 << 20

// errNotKept is an attachment of a type --file-types does not keep. Such
// an attachment, and one over --max-file-size, is recorded in the manifest
// with its reason but does not make the run partial.
var errNotKept = errors.New("type not kept (--file-types)")

// fileResult is a downloaded attachment.
type fileResult struct {
	task  *harvest.FileTask
	entry harvest.FileEntry
	bytes int64 // downloaded (0 when the file was held already)
}

// attachmentHandler downloads attachments into the files directory.
type attachmentHandler struct {
	*crawl
	dir   *files.Dir
	spent *atomic.Int64 // bytes downloaded in this run (--max-bytes)
}

func (h attachmentHandler) prepare(ctx context.Context, t *task) {}

// fetch downloads one attachment, streamed to a temporary file in the
// files directory (and, through a spool file, to the WARC), checked and put
// in place under its digest.
func (h attachmentHandler) fetch(ctx context.Context, t task) result {
	c := h.crawl
	r := result{kind: kindAttachment, url: t.url, file: fileResult{task: t.file}}
	err := c.f.Download(ctx, t.url, nil, func(d *fetch.Download) error {
		r.status = d.Status
		if d.Challenge {
			return fmt.Errorf("%s: HTTP %d: %w", t.url, d.Status, harvest.ErrChallenge)
		}
		if d.Status != http.StatusOK {
			return &fetch.Error{URL: t.url, Status: d.Status, Err: errors.New(http.StatusText(d.Status))}
		}
		ct := d.Header.Get("Content-Type")
		if !c.cfg.FileTypes.Allow(ct, pathOf(d.URL), suggestedName(d.Header.Get("Content-Disposition"))) {
			return fmt.Errorf("%s (%s): %w", t.url, ct, errNotKept)
		}
		body := bufio.NewReaderSize(d.Body, 64<<10)
		if isHTML(ct) {
			// A page where a file was expected: a challenge says so.
			if head, _ := body.Peek(64 << 10); parser.IsChallenge(head) {
				return fmt.Errorf("%s: %w", t.url, harvest.ErrChallenge)
			}
		}
		max := c.cfg.MaxFileSize
		if d.Length > 0 && max > 0 && d.Length > max {
			return fmt.Errorf("%s: %w (%d bytes announced)", t.url, files.ErrTooLarge, d.Length)
		}
		w, err := h.dir.Create(max)
		if err != nil {
			return err
		}
		defer w.Abort()
		if _, err := io.Copy(w, body); err != nil {
			if errors.Is(err, files.ErrTooLarge) {
				return fmt.Errorf("%s: %w", t.url, err)
			}
			return &fetch.Error{URL: t.url, Status: d.Status, Err: fmt.Errorf("download: %w", err)}
		}
		sha, size, err := w.Commit(d.Length)
		if err != nil {
			return fmt.Errorf("%s: %w", t.url, err)
		}
		h.spent.Add(size)
		r.file.bytes = size
		r.file.entry = harvest.FileEntry{RecordURL: t.file.RecordURL, URL: t.url, Label: t.file.Label, ContentType: ct, Size: size, SHA256: sha}
		return nil
	})
	if err != nil {
		r.err = err
		var fe *fetch.Error
		if errors.As(err, &fe) && fe.Status != 0 {
			r.status = fe.Status
		}
	}
	return r
}

// pathOf is the path of a URL, for its extension.
func pathOf(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Path
}

// suggestedName is the file name a Content-Disposition header suggests:
// compared with --file-types, never used as a path.
func suggestedName(v string) string {
	_, params, err := mime.ParseMediaType(v)
	if err != nil {
		return ""
	}
	return params["filename"]
}

func isHTML(ct string) bool {
	ct = strings.ToLower(ct)
	return ct == "" || strings.Contains(ct, "html")
}

// judge stops the run on a bot challenge or a capture that cannot be
// written, once the failure is recorded; each attachment is stored before
// going on, so that a file in place is in the manifest before the next.
func (h attachmentHandler) judge(ctx context.Context, r *result) ([]task, error) {
	if err := h.stopOn(ctx, r, h.failed); err != nil {
		return nil, err
	}
	r.saveNow = true
	return nil, nil
}

func (h attachmentHandler) stored(r result, cnt harvest.Counts) {}

// keep writes the manifest rows of downloaded attachments.
func (h attachmentHandler) keep(ctx context.Context, rs []result) error {
	for _, r := range rs {
		if err := h.st.SaveFile(ctx, r.file.entry, r.file.task.Position); err != nil {
			return err
		}
		h.sum.Files++
		h.sum.FileBytes += r.file.bytes
		h.tally.done(kindAttachment)
		h.tally.addBytes(kindAttachment, r.file.bytes)
	}
	return nil
}

// failed records an attachment that failed, with its status; it is tried
// again next run.
func (h attachmentHandler) failed(ctx context.Context, r result) error {
	h.sum.FailedFiles++
	h.tally.failed(kindAttachment)
	if errors.Is(r.err, errNotKept) || errors.Is(r.err, files.ErrTooLarge) {
		// Left out by the limits asked for: noted, not a failure of the run.
		h.notKept++
		h.log.Info("attachment not kept", "url", r.url, "err", r.err)
	} else {
		h.detailProblems = append(h.detailProblems, r.err.Error())
		h.log.Warn("attachment failed", "url", r.url, "status", r.status, "err", r.err)
	}
	return h.st.MarkFileFailed(ctx, *r.file.task, r.status, r.err)
}

// attachments downloads the attachments of the stored document pages that
// the files directory does not hold, within the run's politeness,
// concurrency and byte budget. An attachment linked from several records is
// fetched once; one held already (its manifest row's file is there, with
// its size) is not fetched again.
func (c *crawl) attachments(ctx context.Context, h attachmentHandler) error {
	var tasks []harvest.FileTask
	if err := c.st.FilesDue(ctx, func(t harvest.FileTask) error { tasks = append(tasks, t); return nil }); err != nil {
		return err
	}
	held := map[string]harvest.FileEntry{} // attachment URL -> a manifest row whose file is there
	for _, t := range tasks {
		if t.Entry.SHA256 != "" && h.dir.Has(t.Entry.SHA256, t.Entry.Size) {
			held[t.URL] = t.Entry
		}
	}
	var queue []task
	offHost := 0
	sent := map[string]bool{}
	var later []harvest.FileTask // links of a URL another record's task fetches
	for _, t := range tasks {
		if e, ok := held[t.URL]; ok {
			if t.Entry.SHA256 != e.SHA256 {
				// Held for another record: this record's row, without a fetch.
				e.RecordURL, e.Label = t.RecordURL, t.Label
				if err := c.st.SaveFile(ctx, e, t.Position); err != nil {
					return err
				}
			}
			c.sum.FilesPresent++
			continue
		}
		if !sameHost(t.URL, c.host) {
			offHost++ // an attachment on another host: not this crawl's to fetch
			continue
		}
		if sent[t.URL] {
			later = append(later, t)
			continue
		}
		sent[t.URL] = true
		queue = append(queue, task{kind: kindAttachment, url: t.URL, file: &t})
	}
	if offHost > 0 {
		c.log.Warn("attachments on other hosts are not fetched (a crawl keeps to its start URL's host)", "links", offHost)
	}
	c.log.Info("downloading attachments", "due", len(queue), "held", c.sum.FilesPresent)
	c.filesDue = len(queue)
	if err := c.loopBudget(ctx, queue, h.spent); err != nil {
		return err
	}
	// Links of the same URL from other records share what was downloaded.
	if len(later) > 0 {
		got := map[string]harvest.FileEntry{}
		err := c.st.FilesDue(ctx, func(t harvest.FileTask) error {
			if t.Entry.SHA256 != "" {
				got[t.URL] = t.Entry
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, t := range later {
			if e, ok := got[t.URL]; ok {
				e.RecordURL, e.Label = t.RecordURL, t.Label
				if err := c.st.SaveFile(ctx, e, t.Position); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// loopBudget runs the loop over queue, a slice at a time, until the run's
// byte budget (--max-bytes) is spent: a download started may pass it by up
// to its own size.
func (c *crawl) loopBudget(ctx context.Context, queue []task, spent *atomic.Int64) error {
	if c.cfg.MaxBytes <= 0 {
		return c.loop(ctx, queue, nil)
	}
	step := max(c.cfg.Concurrency, 1)
	for len(queue) > 0 {
		if spent.Load() >= c.cfg.MaxBytes {
			c.budgetLeft = len(queue)
			return nil
		}
		n := min(step, len(queue))
		if err := c.loop(ctx, queue[:n], nil); err != nil {
			return err
		}
		queue = queue[n:]
	}
	return nil
}
