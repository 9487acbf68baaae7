package warc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// timestamp14 is the layout of CDXJ and file-name timestamps.
const timestamp14 = "20060102150405"

// revisitMime is the CDXJ mime of a revisit record.
const revisitMime = "warc/revisit"

// entry is one line of a CDXJ index: a response or revisit record.
type entry struct {
	urlkey    string
	timestamp string
	URL       string `json:"url"`
	Mime      string `json:"mime"`
	Status    string `json:"status"`
	Digest    string `json:"digest"`
	Length    string `json:"length"`
	Offset    string `json:"offset"`
	Filename  string `json:"filename"`
}

// newEntry describes a response (or revisit) record of target captured at
// date, whose HTTP header block is header, stored at offset with length
// compressed bytes in file.
func newEntry(target string, date time.Time, revisit bool, header []byte, digest string, offset, length int64, file string) entry {
	m := revisitMime
	if !revisit {
		m = mediaType(header)
	}
	return entry{
		urlkey:    surt(target),
		timestamp: date.UTC().Format(timestamp14),
		URL:       target,
		Mime:      m,
		Status:    strconv.Itoa(statusCode(header)),
		Digest:    digest,
		Length:    strconv.FormatInt(length, 10),
		Offset:    strconv.FormatInt(offset, 10),
		Filename:  file,
	}
}

// status returns e's HTTP status, or 0.
func (e entry) status() int {
	n, _ := strconv.Atoi(e.Status)
	return n
}

// warcDate returns e's timestamp in WARC-Date form.
func (e entry) warcDate() string {
	t, err := time.Parse(timestamp14, e.timestamp)
	if err != nil {
		return ""
	}
	return t.Format(time.RFC3339)
}

// length returns e's compressed length as a number; 0 when unknown.
func (e entry) length() int64 {
	n, _ := strconv.ParseInt(e.Length, 10, 64)
	return n
}

// offset returns e's offset as a number.
func (e entry) offset() int64 {
	n, _ := strconv.ParseInt(e.Offset, 10, 64)
	return n
}

// line formats e as a CDXJ line without the newline.
func (e entry) line() string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(e) // only strings: cannot fail
	return e.urlkey + " " + e.timestamp + " " + strings.TrimSuffix(b.String(), "\n")
}

// parseLine parses one CDXJ line.
func parseLine(s string) (entry, error) {
	key, rest, ok1 := strings.Cut(s, " ")
	ts, js, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 {
		return entry{}, errors.New("not a CDXJ line")
	}
	var e entry
	if err := json.Unmarshal([]byte(js), &e); err != nil {
		return entry{}, err
	}
	e.urlkey, e.timestamp = key, ts
	return e, nil
}

// mediaType returns the lower-case media type of the Content-Type of an HTTP
// header block, without parameters; "unk" when there is none.
func mediaType(header []byte) string {
	ct, ok := contentType(header)
	if !ok {
		h, _ := parseHeader(header)
		ct = h.Get("Content-Type")
	}
	if ct == "" {
		return "unk"
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(ct, ";")
	}
	return strings.ToLower(strings.TrimSpace(mt))
}

// contentType returns the first Content-Type field value of an HTTP header
// block without parsing the whole block. ok is false when the field is
// folded over several lines; then the caller should parse the block.
func contentType(header []byte) (value string, ok bool) {
	_, rest, _ := bytes.Cut(header, []byte("\n")) // the status line
	const name = "content-type:"
	for len(rest) > 0 {
		line, next, _ := bytes.Cut(rest, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		if len(line) >= len(name) && bytes.EqualFold(line[:len(name)], []byte(name)) {
			if len(next) > 0 && (next[0] == ' ' || next[0] == '\t') {
				return "", false
			}
			return string(bytes.TrimSpace(line[len(name):])), true
		}
		rest = next
	}
	return "", true
}

// surt returns the SURT form of a URL as pywb keys it: host reversed with
// commas and without "www.", default port dropped, query fields sorted, all
// lower case, no fragment. A URL that does not parse is its own key.
func surt(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return strings.ToLower(raw)
	}
	host := strings.ToLower(u.Hostname())
	host = strings.TrimPrefix(host, "www.")
	parts := strings.Split(host, ".")
	slices.Reverse(parts)
	key := strings.Join(parts, ",")
	if p := u.Port(); p != "" && !(p == "80" && u.Scheme == "http") && !(p == "443" && u.Scheme == "https") {
		key += ":" + p
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	key += ")" + path
	if u.RawQuery != "" {
		q := strings.Split(u.RawQuery, "&")
		slices.Sort(q)
		key += "?" + strings.Join(q, "&")
	}
	return strings.ToLower(key)
}

// indexPath returns the CDXJ path beside a WARC file.
func indexPath(warcPath string) string {
	return strings.TrimSuffix(warcPath, ".warc.gz") + ".cdxj"
}

// writeIndex writes the sorted CDXJ index of warcPath's entries beside it,
// through a temporary file so a reader never sees half an index.
func writeIndex(warcPath string, entries []entry) error {
	lines := make([]string, len(entries))
	for i, e := range entries {
		lines[i] = e.line()
	}
	slices.Sort(lines)
	path := indexPath(warcPath)
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path+openSuffix, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write index %s: %w", path, err)
	}
	if err := os.Rename(path+openSuffix, path); err != nil {
		return fmt.Errorf("write index %s: %w", path, err)
	}
	return nil
}

// readIndex reads a CDXJ file.
func readIndex(path string) ([]entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read index %s: %w", path, err)
	}
	defer f.Close()
	var out []entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		e, err := parseLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("read index %s line %d: %w", path, n, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read index %s: %w", path, err)
	}
	return out, nil
}

// warcFiles returns the finished WARC files of dir in name order.
func warcFiles(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, de := range des {
		if !de.IsDir() && strings.HasSuffix(de.Name(), ".warc.gz") {
			out = append(out, filepath.Join(dir, de.Name()))
		}
	}
	slices.Sort(out)
	return out, nil
}

// loadIndexes returns the index entries of every WARC file in dir, from its
// CDXJ file when there is one and from the WARC file itself otherwise.
func loadIndexes(dir string) ([]entry, error) {
	files, err := warcFiles(dir)
	if err != nil {
		return nil, err
	}
	var all []entry
	for _, f := range files {
		es, err := readIndex(indexPath(f))
		if errors.Is(err, os.ErrNotExist) {
			es, err = indexFile(context.Background(), f)
		}
		if err != nil {
			return nil, err
		}
		all = append(all, es...)
	}
	return all, nil
}

// indexFile computes the index entries of one WARC file.
func indexFile(ctx context.Context, path string) ([]entry, error) {
	var es []entry
	var offsets []int64
	size, err := scan(ctx, path, func(r scanned) error {
		offsets = append(offsets, r.offset)
		if r.kind != "response" && r.kind != "revisit" {
			return nil
		}
		es = append(es, newEntry(r.url, r.date, r.kind == "revisit", r.header, r.digest, r.offset, 0, filepath.Base(path)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	// A record's length runs to the next record's offset, or to the end.
	for i := range es {
		off := es[i].offset()
		j, _ := slices.BinarySearch(offsets, off)
		end := size
		if j+1 < len(offsets) {
			end = offsets[j+1]
		}
		es[i].Length = strconv.FormatInt(end-off, 10)
	}
	return es, nil
}

// Index (re)builds NAME.cdxj beside every NAME.warc.gz in dir, after
// finishing the files a writer that died left open (NAME.warc.gz.open: its
// whole records kept, a record cut off at the end dropped). It stops at the
// first damaged file, naming it and the offset.
func Index(ctx context.Context, dir string) error {
	if _, err := recoverOpen(ctx, dir); err != nil {
		return fmt.Errorf("index %s: %w", dir, err)
	}
	files, err := warcFiles(dir)
	if err != nil {
		return fmt.Errorf("index %s: %w", dir, err)
	}
	for _, f := range files {
		es, err := indexFile(ctx, f)
		if err != nil {
			return fmt.Errorf("index: %w", err)
		}
		if err := writeIndex(f, es); err != nil {
			return fmt.Errorf("index: %w", err)
		}
	}
	return nil
}
