package warc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// Defaults for [Options].
const (
	DefaultPrefix  = "harvest"
	DefaultMaxSize = 1 << 30 // 1 GiB
)

// openSuffix marks a file still being written.
const openSuffix = ".open"

// Exchange is one HTTP request and its response as they crossed the wire.
type Exchange struct {
	URL      string    // the request's target URI
	Date     time.Time // when the request was sent (UTC); the zero time means now
	IP       string    // the server's IP address; "" when unknown
	Request  []byte    // the request as sent: request line, headers, body
	Response []byte    // the response exactly as received: status line, headers, body (encodings kept)
}

// Options configure a [Writer]. The zero value of a field means its default.
type Options struct {
	Dir      string            // directory of the WARC files; created if missing
	Prefix   string            // file-name prefix; default DefaultPrefix
	MaxSize  int64             // rotate to a new file once a file passes this many bytes; default DefaultMaxSize
	Software string            // e.g. "harvest/0.2.0", named in every warcinfo record
	Info     map[string]string // further warcinfo fields (run id, start URL, ...), written in sorted key order

	now func() time.Time // for tests; default time.Now
}

// Stats counts what a [Writer] has written so far.
type Stats struct {
	Files     int   // files opened
	Exchanges int   // exchanges written
	Responses int   // response records
	Revisits  int   // revisit records (deduplicated payloads)
	Bytes     int64 // compressed bytes written to all files
}

// Writer writes exchanges into rotating WARC files in one directory. It is
// safe for concurrent use.
type Writer struct {
	opts Options

	dedupMu sync.Mutex
	seen    map[string]*original // payload digest -> first capture

	mu      sync.Mutex // guards everything below
	closed  bool
	serial  int
	file    *os.File
	buf     *bufio.Writer
	out     countingWriter
	name    string // final base name of the open file
	infoID  string
	entries []entry // index entries of the open file
	stats   Stats
}

// Open prepares a Writer for opts.Dir. It creates the directory, finishes
// the files an earlier writer left open (see Index), and learns
// the payload digests already captured there (from NAME.cdxj files, or from
// the WARC files that have none) so that repeated payloads become revisits.
// The first file is created on the first Write.
func Open(opts Options) (*Writer, error) {
	if opts.Dir == "" {
		return nil, errors.New("open warc writer: no directory")
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.now == nil {
		opts.now = time.Now
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("open warc writer: %w", err)
	}
	if _, err := recoverOpen(context.Background(), opts.Dir); err != nil {
		return nil, fmt.Errorf("open warc writer: %w", err)
	}
	entries, err := loadIndexes(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("open warc writer: %w", err)
	}
	w := &Writer{opts: opts, seen: make(map[string]*original)}
	for _, e := range entries {
		if e.Mime == revisitMime || !dedupable(e.status(), e.Digest) {
			continue
		}
		if _, ok := w.seen[e.Digest]; !ok {
			w.seen[e.Digest] = &original{url: e.URL, date: e.warcDate()}
		}
	}
	w.serial, err = nextSerial(opts.Dir, opts.Prefix)
	if err != nil {
		return nil, fmt.Errorf("open warc writer: %w", err)
	}
	return w, nil
}

// dedupable reports whether a payload with this status and digest may be
// stored as a revisit: not a 304 and not empty.
func dedupable(status int, digest string) bool {
	return status != 304 && digest != "" && digest != emptyDigest
}

// fileNameRE matches the names this package gives WARC files.
var fileNameRE = regexp.MustCompile(`^(.+)-(\d{14})-(\d{5,})\.warc\.gz(\.open)?$`)

// nextSerial returns one more than the highest serial of prefix's files in
// dir, so that file names stay unique and ordered across runs.
func nextSerial(dir, prefix string) (int, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	next := 0
	for _, de := range des {
		m := fileNameRE.FindStringSubmatch(de.Name())
		if m == nil || m[1] != prefix {
			continue
		}
		if n, err := strconv.Atoi(m[3]); err == nil && n >= next {
			next = n + 1
		}
	}
	return next, nil
}

// Write records ex as a request record and a response record, or a revisit
// record when its payload repeats one already captured.
func (w *Writer) Write(ex Exchange) error {
	if ex.URL == "" {
		return errors.New("write exchange: no URL")
	}
	if len(ex.Response) == 0 {
		return fmt.Errorf("write exchange %s: empty response", ex.URL)
	}
	if err := checkURL(ex.URL); err != nil {
		return fmt.Errorf("write exchange %s: %w", ex.URL, err)
	}
	if err := checkIP(ex.IP); err != nil {
		return fmt.Errorf("write exchange %s: %w", ex.URL, err)
	}
	header, payload, ok := splitHTTP(ex.Response)
	if !ok {
		return fmt.Errorf("write exchange %s: response: missing blank line at end of HTTP header", ex.URL)
	}
	if ex.Date.IsZero() {
		ex.Date = w.opts.now()
	}
	ex.Date = ex.Date.UTC().Truncate(time.Second)

	enc := encoders.Get().(*encoder)
	defer enc.release()

	reqID, respID := newRecordID(), newRecordID()
	req, err := requestRecord(enc.heads[0], &enc.hasher, recordHeader{id: reqID, concurrent: respID, url: ex.URL, date: ex.Date, ip: ex.IP}, ex.Request)
	if err != nil {
		return fmt.Errorf("write exchange %s: %w", ex.URL, err)
	}
	enc.heads[0] = req.head

	digest := sha1Digest(payload)
	var orig, claim *original
	if dedupable(statusCode(header), digest) {
		orig, claim = w.claim(digest, original{url: ex.URL, date: ex.Date.Format(time.RFC3339), id: respID})
	}
	written := false
	if claim != nil {
		defer func() { w.settle(digest, claim, written) }()
	}
	revisit := orig != nil

	rh := recordHeader{id: respID, concurrent: reqID, url: ex.URL, date: ex.Date, ip: ex.IP}
	var resp record
	if revisit {
		resp = revisitRecord(enc.heads[1], &enc.hasher, rh, header, digest, orig)
	} else {
		resp = responseRecord(enc.heads[1], &enc.hasher, rh, ex.Response, header, payload, digest)
	}
	enc.heads[1] = resp.head
	e := newEntry(ex.URL, ex.Date, revisit, header, digest, 0, 0, "")

	// Compress outside the lock so that many goroutines compress at once;
	// the lock only covers copying the members into the file. The records
	// must name the warcinfo of the file they land in, so compress again in
	// the rare case that the file rotated in between.
	w.mu.Lock()
	infoID := w.infoID
	w.mu.Unlock()
	var split int
	for {
		split, err = enc.encode(infoID, req, resp)
		if err != nil {
			return fmt.Errorf("write exchange %s: %w", ex.URL, err)
		}
		w.mu.Lock()
		if w.closed {
			w.mu.Unlock()
			return fmt.Errorf("write exchange %s: writer closed", ex.URL)
		}
		if w.file == nil {
			if err := w.create(); err != nil {
				w.mu.Unlock()
				return fmt.Errorf("write exchange %s: %w", ex.URL, err)
			}
		}
		if w.infoID == infoID {
			break
		}
		infoID = w.infoID
		w.mu.Unlock()
	}
	defer w.mu.Unlock()
	start := w.out.n
	if _, err := w.out.Write(enc.buf.Bytes()); err != nil {
		return fmt.Errorf("write exchange %s to %s: %w", ex.URL, w.name, err)
	}
	written = true
	return w.recorded(ex.URL, e, start, start+int64(split), revisit)
}

// recorded accounts for an exchange just written from start, its response
// (or revisit) record from off: the index entry, the statistics, and the
// file's rotation once it passes MaxSize. w.mu is held.
func (w *Writer) recorded(url string, e entry, start, off int64, revisit bool) error {
	w.stats.Bytes += w.out.n - start
	e.Offset = strconv.FormatInt(off, 10)
	e.Length = strconv.FormatInt(w.out.n-off, 10)
	e.Filename = w.name
	w.entries = append(w.entries, e)
	w.stats.Exchanges++
	if revisit {
		w.stats.Revisits++
	} else {
		w.stats.Responses++
	}
	if w.out.n > w.opts.MaxSize {
		if err := w.finish(); err != nil {
			return fmt.Errorf("write exchange %s: %w", url, err)
		}
	}
	return nil
}

// claim decides whether a payload with digest repeats one already captured;
// then it returns that capture as orig. Otherwise it records first as the
// capture of digest and returns it as claim, which the caller must settle
// once its write has ended. A write of a digest claimed but not yet written
// waits for that write to end, so that a revisit never refers to a record
// that failed to be written.
func (w *Writer) claim(digest string, first original) (orig, claim *original) {
	for {
		w.dedupMu.Lock()
		o, ok := w.seen[digest]
		if !ok {
			c := &first
			c.done = make(chan struct{})
			w.seen[digest] = c
			w.dedupMu.Unlock()
			return nil, c
		}
		w.dedupMu.Unlock()
		if o.done != nil {
			<-o.done
			if !o.ok {
				continue // its write failed and it was unclaimed
			}
		}
		return o, nil
	}
}

// settle ends claim c of digest: kept when its record was written,
// withdrawn when not.
func (w *Writer) settle(digest string, c *original, written bool) {
	if !written {
		w.dedupMu.Lock()
		if w.seen[digest] == c {
			delete(w.seen, digest)
		}
		w.dedupMu.Unlock()
	}
	c.ok = written
	close(c.done)
}

// create opens the next file under its ".open" name and writes its warcinfo
// record. w.mu must be held.
func (w *Writer) create() error {
	now := w.opts.now().UTC()
	name := fmt.Sprintf("%s-%s-%05d.warc.gz", w.opts.Prefix, now.Format(timestamp14), w.serial)
	path := filepath.Join(w.opts.Dir, name+openSuffix)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("create warc file: %w", err)
	}
	if err := lockOpen(f); err != nil {
		f.Close()
		return fmt.Errorf("create warc file: %w", err)
	}
	w.serial++
	w.file, w.name, w.infoID, w.entries = f, name, "", nil
	if w.buf == nil {
		w.buf = bufio.NewWriterSize(f, 64<<10)
	} else {
		w.buf.Reset(f)
	}
	w.out = countingWriter{w: w.buf}
	w.stats.Files++
	info, id := warcinfoRecord(name, w.opts.Software, w.opts.Info, now)
	if err := w.writeRecord(info); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	w.infoID = id
	return nil
}

// writeRecord writes rec as one gzip member of the open file. w.mu must be
// held.
func (w *Writer) writeRecord(rec record) error {
	enc := encoders.Get().(*encoder)
	defer enc.release()
	if _, err := enc.encode(w.infoID, rec); err != nil {
		return err
	}
	n, err := w.out.Write(enc.buf.Bytes())
	w.stats.Bytes += int64(n)
	return err
}

// encoder turns records into gzip members in memory, one member per record,
// and holds the scratch space for building them.
type encoder struct {
	gz     *gzip.Writer
	stored *gzip.Writer // for small records, whose compression costs more than it saves
	buf    bytes.Buffer // the compressed members
	heads  [2][]byte    // record headers of the request and the response
	hasher hasher
}

// maxPooledBuffer is the most an encoder keeps of its buffers when it goes
// back to the pool, so that one huge page does not pin its size.
const maxPooledBuffer = 1 << 20

// encoders are reused across writes; each holds a gzip writer and a buffer
// about the size of a compressed page.
var encoders = sync.Pool{New: func() any {
	gz, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // valid levels: cannot fail
	stored, _ := gzip.NewWriterLevel(nil, gzip.NoCompression)
	return &encoder{gz: gz, stored: stored}
}}

// smallRecord is the size of request under which its record is stored in
// its gzip member uncompressed (see record.stored).
const smallRecord = 2048

// release returns e to the pool.
func (e *encoder) release() {
	if e.buf.Cap() > maxPooledBuffer {
		e.buf = bytes.Buffer{}
	}
	encoders.Put(e)
}

// crlf2 ends every record.
var crlf2 = []byte("\r\n\r\n")

// encode replaces e.buf with recs as gzip members, each naming the warcinfo
// record infoID (when not ""). It returns the offset in e.buf of the last
// member.
func (e *encoder) encode(infoID string, recs ...record) (last int, err error) {
	e.buf.Reset()
	for _, rec := range recs {
		last = e.buf.Len()
		gz := e.gz
		if rec.stored {
			gz = e.stored
		}
		gz.Reset(&e.buf)
		// Errors stick in gz until Close.
		_, _ = gz.Write(rec.head)
		if infoID != "" {
			_, _ = io.WriteString(gz, "WARC-Warcinfo-ID: ")
			_, _ = io.WriteString(gz, infoID)
			_, _ = gz.Write(crlf2[:2])
		}
		_, _ = gz.Write(crlf2[:2])
		_, _ = gz.Write(rec.block)
		_, _ = gz.Write(crlf2)
		if err := gz.Close(); err != nil {
			return 0, fmt.Errorf("compress record: %w", err)
		}
	}
	return last, nil
}

// finish flushes and closes the open file, renames it to its final name and
// writes its CDXJ index. w.mu must be held.
func (w *Writer) finish() error {
	if w.file == nil {
		return nil
	}
	f, name, entries := w.file, w.name, w.entries
	w.file, w.name, w.entries = nil, "", nil
	err := w.buf.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	final := filepath.Join(w.opts.Dir, name)
	if err := os.Rename(final+openSuffix, final); err != nil {
		return fmt.Errorf("close %s: %w", name, err)
	}
	return writeIndex(final, entries)
}

// Close finishes the open file and its CDXJ index. Writes after Close fail.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	return w.finish()
}

// Stats returns counts of what w has written so far.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

// Write writes p to the underlying writer and counts it.
func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
