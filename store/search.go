package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/harvest-archive/harvest"
)

// SearchVersion is the schema version that brings the full-text index and
// the per-year counts (migration 0009) that Search and Overview read. An
// older database is still read, more slowly: see HasSearchIndex.
const SearchVersion = 9

// Markers that Search puts around the matched words of a hit's title and
// summary. They are characters of Unicode's private use area, which
// harvested text does not hold (and from which they are removed), so that a
// caller escapes the text first and marks the matches after.
const (
	MarkStart = "\uE000"
	MarkEnd   = "\uE001"
)

// Statuses a search can be narrowed to: records first seen, changed or
// gone since a date.
const (
	StatusNew     = "new"
	StatusChanged = "changed"
	StatusGone    = "gone"
)

// Orders of search results. The default is by relevance when there are
// words to match, and newest first otherwise.
const (
	SortRelevance = "relevance"
	SortNewest    = "newest"
	SortOldest    = "oldest"
)

// SearchQuery is one search of the records. Every field is optional.
type SearchQuery struct {
	Text   string // words to find in titles and summaries; "quoted phrases" and word* prefixes
	From   string // records dated in or after this date: YYYY, YYYY-MM or YYYY-MM-DD
	To     string // records dated in or before this date (the whole year or month when shorter)
	Status string // StatusNew, StatusChanged or StatusGone; "" for every record
	Since  string // the date (YYYY-MM-DD) Status counts from; "" for any time
	Sort   string // one of the Sort constants; "" for the default
	Offset int    // results to skip
	Limit  int    // results to return; 0 for 20
}

// SearchHit is a record found by a search, with its title and a snippet of
// its summary in which the matched words stand between MarkStart and
// MarkEnd (the text itself is as stored, unescaped).
type SearchHit struct {
	harvest.Record
	TitleMarked   string
	SummaryMarked string
}

// SearchResult is a page of hits and how many records match in all.
type SearchResult struct {
	Total    int
	Hits     []SearchHit
	FullText bool // false: the database has no full-text index yet (see HasSearchIndex)
}

// ErrBadQuery means a search's filters cannot be read; its message says
// which and why.
var ErrBadQuery = errors.New("bad search")

// HasSearchIndex reports whether the database has the full-text index
// (schema version SearchVersion or later). A database opened read-only is
// never upgraded; without the index, Search matches words as plain text,
// unranked, and Overview counts by scanning.
func (db *DB) HasSearchIndex() bool { return db.version >= SearchVersion }

// SetMaxReaders lets up to n connections read a read-only database at once
// (SQLite readers do not block each other in WAL mode), as a server with
// concurrent requests needs. It does nothing to a writable database, which
// keeps its single connection.
func (db *DB) SetMaxReaders(n int) {
	if db.readOnly && n > 0 {
		db.db.SetMaxOpenConns(n)
		db.db.SetMaxIdleConns(n)
	}
}

var datePattern = regexp.MustCompile(`^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$`)

// checkDate reports whether s is "" or a date YYYY[-MM[-DD]].
func checkDate(name, s string) error {
	if s == "" || datePattern.MatchString(s) {
		return nil
	}
	return fmt.Errorf("%w: %s %q is not a date (write YYYY, YYYY-MM or YYYY-MM-DD)", ErrBadQuery, name, s)
}

// Check reports the first filter of q that cannot be read.
func (q SearchQuery) Check() error {
	for _, d := range [...][2]string{{"from", q.From}, {"to", q.To}, {"since", q.Since}} {
		if err := checkDate(d[0], d[1]); err != nil {
			return err
		}
	}
	if q.From != "" && q.To != "" && q.From > q.To+"\uffff" {
		return fmt.Errorf("%w: from %s is after to %s", ErrBadQuery, q.From, q.To)
	}
	switch q.Status {
	case "", StatusNew, StatusChanged, StatusGone:
	default:
		return fmt.Errorf("%w: status %q is not one of new, changed, gone", ErrBadQuery, q.Status)
	}
	switch q.Sort {
	case "", SortRelevance, SortNewest, SortOldest:
	default:
		return fmt.Errorf("%w: sort %q is not one of relevance, newest, oldest", ErrBadQuery, q.Sort)
	}
	if q.Offset < 0 || q.Limit < 0 {
		return fmt.Errorf("%w: negative offset or limit", ErrBadQuery)
	}
	return nil
}

// term is a word or phrase of a search, and whether it is a prefix.
type term struct {
	text   string
	prefix bool
}

// terms splits a search's text into words and "quoted phrases"; a word
// ending in * matches as a prefix. Characters with no letters or digits
// between them are dropped, so that no input is an FTS5 syntax error.
func terms(s string) []term {
	var out []term
	add := func(t string, phrase bool) {
		prefix := !phrase && strings.HasSuffix(t, "*")
		t = strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsNumber(r) {
				return r
			}
			if unicode.In(r, unicode.Co) || r == '"' {
				return -1
			}
			return ' '
		}, t)
		t = strings.Join(strings.Fields(t), " ")
		if t != "" {
			out = append(out, term{t, prefix})
		}
	}
	for s != "" {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			for _, w := range strings.Fields(s) {
				add(w, false)
			}
			break
		}
		for _, w := range strings.Fields(s[:i]) {
			add(w, false)
		}
		rest := s[i+1:]
		j := strings.IndexByte(rest, '"')
		if j < 0 {
			add(rest, true)
			break
		}
		add(rest[:j], true)
		s = rest[j+1:]
	}
	return out
}

// matchExpr is the FTS5 query for ts: every term, each quoted (so none is an
// operator), all required.
func matchExpr(ts []term) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = `"` + t.text + `"`
		if t.prefix {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, " AND ")
}

// filters is the WHERE clause (on records r) of q's filters other than its
// text, and its arguments.
func (q SearchQuery) filters() (string, []any) {
	var where []string
	var args []any
	if q.From != "" || q.To != "" {
		where = append(where, `r.date <> ''`)
	}
	if q.From != "" {
		where = append(where, `r.date >= ?`)
		args = append(args, q.From)
	}
	if q.To != "" {
		// Every date that begins with To: a shorter date is its whole
		// year or month, and EDTF's qualified and interval dates ("1956?",
		// "1956/1958") sort by their beginning.
		where = append(where, `r.date <= ?`)
		args = append(args, q.To+"\uffff")
	}
	switch q.Status {
	case StatusNew:
		where = append(where, `r.first_seen >= ?`)
		args = append(args, q.Since)
	case StatusGone:
		where = append(where, `r.gone_at IS NOT NULL AND r.gone_at >= ?`)
		args = append(args, q.Since)
	case StatusChanged:
		where = append(where, `r.url IN (SELECT url FROM record_changes WHERE changed_at >= ? AND field NOT IN ('gone', 'returned'))`)
		args = append(args, q.Since)
	}
	return strings.Join(where, " AND "), args
}

const recordColumns = `r.url, r.title, r.date, r.date_text, r.summary, r.listing_url, r.first_seen, r.last_seen, COALESCE(r.gone_at, '')`

// scanRecord reads the columns of recordColumns, then into extra.
func scanRecord(rows interface{ Scan(...any) error }, extra ...any) (harvest.Record, error) {
	var r harvest.Record
	var first, last, gone string
	dest := append([]any{&r.URL, &r.Title, &r.Date, &r.DateText, &r.Summary, &r.ListingURL, &first, &last, &gone}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return r, err
	}
	r.FirstSeen, _ = time.Parse(time.RFC3339, first)
	r.LastSeen, _ = time.Parse(time.RFC3339, last)
	r.GoneAt, _ = time.Parse(time.RFC3339, gone)
	return r, nil
}

// plan is the SQL of a search: FROM and WHERE, their arguments, and the
// ORDER BY.
type plan struct {
	from, where string
	args        []any
	order       string
	fts         bool   // from joins records_fts
	like        []term // the terms, when matched as plain text
}

func (db *DB) plan(q SearchQuery) plan {
	ts := terms(q.Text)
	where, args := q.filters()
	p := plan{from: `records r`, where: where, args: args}
	and := func(cond string, a ...any) {
		if p.where != "" {
			p.where = cond + " AND " + p.where
		} else {
			p.where = cond
		}
		p.args = append(a, p.args...)
	}
	switch {
	case len(ts) > 0 && db.HasSearchIndex():
		p.fts = true
		p.from = `records_fts JOIN records r ON r.rowid = records_fts.rowid`
		and(`records_fts MATCH ?`, matchExpr(ts))
	case len(ts) > 0:
		p.like = ts
		var conds []string
		var a []any
		for _, t := range ts {
			pat := "%" + likeEscape(t.text) + "%"
			conds = append(conds, `(r.title LIKE ? ESCAPE '\' OR r.summary LIKE ? ESCAPE '\')`)
			a = append(a, pat, pat)
		}
		and(strings.Join(conds, " AND "), a...)
	}
	sort := q.Sort
	if sort == "" || (sort == SortRelevance && !p.fts) {
		sort = SortNewest
		if p.fts {
			sort = SortRelevance
		}
	}
	switch sort {
	case SortRelevance:
		// Title matches weigh most, then details, then the summary.
		p.order = `bm25(records_fts, 10.0, 1.0, 2.0), r.rowid`
	case SortOldest:
		p.order = `r.date = '', r.date, r.rowid`
	default:
		p.order = `r.date DESC, r.rowid DESC`
	}
	return p
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Search returns one page of the records that match q, with the matched
// words marked, and how many match in all.
func (db *DB) Search(ctx context.Context, q SearchQuery) (SearchResult, error) {
	if err := q.Check(); err != nil {
		return SearchResult{}, err
	}
	if q.Limit == 0 {
		q.Limit = 20
	}
	p := db.plan(q)
	res := SearchResult{FullText: db.HasSearchIndex()}
	where := ""
	if p.where != "" {
		where = " WHERE " + p.where
	}
	// The count: with no filter at all, from the per-year table.
	var err error
	if p.where == "" && db.HasSearchIndex() {
		err = db.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM record_years`).Scan(&res.Total)
	} else {
		err = db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+p.from+where, p.args...).Scan(&res.Total)
	}
	if err != nil {
		return res, fmt.Errorf("search: count: %w", err)
	}
	cols := recordColumns
	if p.fts {
		cols += `, highlight(records_fts, 0, '` + MarkStart + `', '` + MarkEnd + `'), snippet(records_fts, 1, '` + MarkStart + `', '` + MarkEnd + `', '…', 40)`
	} else {
		cols += `, '', ''`
	}
	args := append(append([]any{}, p.args...), q.Limit, q.Offset)
	var mark *regexp.Regexp
	if len(p.like) > 0 {
		mark = likeMarker(p.like)
	}
	err = db.each(ctx, `SELECT `+cols+` FROM `+p.from+where+` ORDER BY `+p.order+` LIMIT ? OFFSET ?`, args, func(rows *sql.Rows) error {
		var h SearchHit
		var err error
		h.Record, err = scanRecord(rows, &h.TitleMarked, &h.SummaryMarked)
		if err != nil {
			return err
		}
		if !p.fts {
			h.TitleMarked, h.SummaryMarked = clean(h.Title), clean(h.Summary)
			if mark != nil {
				h.TitleMarked = mark.ReplaceAllString(h.TitleMarked, MarkStart+"$0"+MarkEnd)
				h.SummaryMarked = mark.ReplaceAllString(h.SummaryMarked, MarkStart+"$0"+MarkEnd)
			}
		}
		res.Hits = append(res.Hits, h)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("search: %w", err)
	}
	return res, nil
}

// clean removes the marker characters from harvested text.
func clean(s string) string {
	return strings.NewReplacer(MarkStart, "", MarkEnd, "").Replace(s)
}

// likeMarker finds the terms in text, ignoring case.
func likeMarker(ts []term) *regexp.Regexp {
	alts := make([]string, len(ts))
	for i, t := range ts {
		alts[i] = regexp.QuoteMeta(t.text)
	}
	return regexp.MustCompile(`(?i)` + strings.Join(alts, "|"))
}

// SearchRecords calls fn for every record that matches q, in q's order,
// ignoring its Offset and Limit: what a download of a search writes.
func (db *DB) SearchRecords(ctx context.Context, q SearchQuery, fn func(harvest.Record) error) error {
	if err := q.Check(); err != nil {
		return err
	}
	p := db.plan(q)
	where := ""
	if p.where != "" {
		where = " WHERE " + p.where
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+recordColumns+` FROM `+p.from+where+` ORDER BY `+p.order, p.args...)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	return nil
}

// Record returns the stored record with url, and whether there is one.
func (db *DB) Record(ctx context.Context, url string) (harvest.Record, bool, error) {
	r, err := scanRecord(db.db.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM records r WHERE r.url = ?`, url))
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("read record %s: %w", url, err)
	}
	return r, true, nil
}

// Overview is the collection at a glance: what `harvest serve` shows on
// its front page.
type Overview struct {
	Records       int            // records stored
	Gone          int            // of which gone from the listing
	Undated       int            // of which with no readable date
	Years         []YearCount    // dated records per year, in order
	Listings      []ListingStats // each listing's last complete walk against its total
	Runs          []Run          // the last runs, newest first
	FailedPages   []FailedPage   // pages of unfinished walks that failed or were skipped (the first of them)
	FailedTotal   int            // how many such pages in all
	SchemaVersion int
	FullText      bool // the database has the full-text index
}

// Overview reads the collection at a glance, with at most runs runs and
// failed failed pages. The counts come from the per-year table and from
// indexes, not from a scan of the records (on a database before
// SearchVersion, they do scan).
func (db *DB) Overview(ctx context.Context, runs, failed int) (Overview, error) {
	o := Overview{SchemaVersion: db.version, FullText: db.HasSearchIndex()}
	years := `SELECT year, n FROM record_years WHERE n > 0 ORDER BY year`
	if !o.FullText {
		years = `SELECT CASE WHEN date GLOB '[0-9][0-9][0-9][0-9]*' THEN substr(date, 1, 4) ELSE '' END AS y, COUNT(*) FROM records GROUP BY y ORDER BY y`
	}
	err := db.each(ctx, years, nil, func(rows *sql.Rows) error {
		var y YearCount
		if err := rows.Scan(&y.Year, &y.Count); err != nil {
			return err
		}
		o.Records += y.Count
		if y.Year == "" {
			o.Undated += y.Count
		} else {
			o.Years = append(o.Years, y)
		}
		return nil
	})
	if err != nil {
		return o, fmt.Errorf("overview: years: %w", err)
	}
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM records WHERE gone_at IS NOT NULL`).Scan(&o.Gone); err != nil {
		return o, fmt.Errorf("overview: gone: %w", err)
	}
	err = db.each(ctx, `SELECT COALESCE(w.listing, w.start_url), COALESCE(w.total, 0), w.finished_at,
		(SELECT COUNT(*) FROM records r WHERE r.last_walk = w.id)
		FROM walks w WHERE w.kind = 'full' AND w.finished_at IS NOT NULL
		AND w.id = (SELECT MAX(id) FROM walks v WHERE v.kind = 'full' AND v.finished_at IS NOT NULL AND COALESCE(v.listing, v.start_url) = COALESCE(w.listing, w.start_url))
		ORDER BY w.id`, nil, func(rows *sql.Rows) error {
		var l ListingStats
		var fin string
		if err := rows.Scan(&l.Listing, &l.Total, &fin, &l.Seen); err != nil {
			return err
		}
		l.FinishedAt, _ = time.Parse(time.RFC3339, fin)
		o.Listings = append(o.Listings, l)
		return nil
	})
	if err != nil {
		return o, fmt.Errorf("overview: listings: %w", err)
	}
	if o.Runs, err = db.lastRuns(ctx, runs); err != nil {
		return o, fmt.Errorf("overview: %w", err)
	}
	const failedFrom = ` FROM frontier f JOIN walks w ON w.id = f.walk_id WHERE w.finished_at IS NULL AND f.state IN ('failed', 'skipped')`
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*)`+failedFrom).Scan(&o.FailedTotal); err != nil {
		return o, fmt.Errorf("overview: failed pages: %w", err)
	}
	err = db.each(ctx, `SELECT f.url, f.state, COALESCE(f.status, 0), COALESCE(f.error, '')`+failedFrom+` ORDER BY f.walk_id, f.seq LIMIT ?`,
		[]any{failed}, func(rows *sql.Rows) error {
			var f FailedPage
			if err := rows.Scan(&f.URL, &f.State, &f.Status, &f.Error); err != nil {
				return err
			}
			o.FailedPages = append(o.FailedPages, f)
			return nil
		})
	if err != nil {
		return o, fmt.Errorf("overview: failed pages: %w", err)
	}
	return o, nil
}

// lastRuns lists the newest n runs, newest first.
func (db *DB) lastRuns(ctx context.Context, n int) ([]Run, error) {
	var out []Run
	err := db.each(ctx, `SELECT id, start_url, started_at, COALESCE(finished_at, ''), pages, requests, records_new,
		records_updated, records_unchanged, failed_pages, COALESCE(total_reported, 0), outcome, message,
		mode, not_modified, records_gone, repaired_pages FROM runs ORDER BY id DESC LIMIT ?`, []any{n}, func(rows *sql.Rows) error {
		var r Run
		var start, end string
		if err := rows.Scan(&r.ID, &r.StartURL, &start, &end, &r.Pages, &r.Requests, &r.New, &r.Updated, &r.Unchanged,
			&r.FailedPages, &r.TotalReported, &r.Outcome, &r.Message, &r.Mode, &r.NotModified, &r.Gone, &r.Repaired); err != nil {
			return err
		}
		r.StartedAt, _ = time.Parse(time.RFC3339, start)
		r.EndedAt, _ = time.Parse(time.RFC3339, end)
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read runs: %w", err)
	}
	return out, nil
}

// Progress is how far an unfinished run has got, read from its walk's
// frontier while the crawl writes (WAL lets a reader see each committed
// page).
type Progress struct {
	RunID        int64     `json:"run_id"`
	StartURL     string    `json:"start_url"`
	Mode         string    `json:"mode"`
	StartedAt    time.Time `json:"started_at"`
	Done         int       `json:"pages_done"`
	Pending      int       `json:"pages_pending"`
	Failed       int       `json:"pages_failed"`  // failed or skipped
	Records      int       `json:"records"`       // records seen by the walk so far
	Total        int       `json:"listing_total"` // the listing's own total; 0 when unknown
	LastActivity time.Time `json:"last_activity"` // the last page the walk stored or marked
}

// Progress lists the runs that have not finished, newest first: a crawl
// under way, or one that stopped without recording its end.
func (db *DB) Progress(ctx context.Context) ([]Progress, error) {
	var out []Progress
	var walks []int64
	err := db.each(ctx, `SELECT r.id, r.start_url, r.mode, r.started_at, COALESCE(r.walk_id, 0), COALESCE(w.total, 0)
		FROM runs r LEFT JOIN walks w ON w.id = r.walk_id WHERE r.finished_at IS NULL ORDER BY r.id DESC LIMIT 5`, nil, func(rows *sql.Rows) error {
		var p Progress
		var start string
		var walk int64
		if err := rows.Scan(&p.RunID, &p.StartURL, &p.Mode, &start, &walk, &p.Total); err != nil {
			return err
		}
		p.StartedAt, _ = time.Parse(time.RFC3339, start)
		out = append(out, p)
		walks = append(walks, walk)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read progress: %w", err)
	}
	for i := range out {
		p := &out[i]
		var last string
		err := db.each(ctx, `SELECT state, COUNT(*), MAX(updated_at) FROM frontier WHERE walk_id = ? GROUP BY state`, []any{walks[i]}, func(rows *sql.Rows) error {
			var state, at string
			var n int
			if err := rows.Scan(&state, &n, &at); err != nil {
				return err
			}
			switch state {
			case "done":
				p.Done = n
			case "pending":
				p.Pending = n
			default:
				p.Failed += n
			}
			last = max(last, at)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read progress: %w", err)
		}
		p.LastActivity, _ = time.Parse(time.RFC3339, last)
		if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM records WHERE last_walk = ?`, walks[i]).Scan(&p.Records); err != nil {
			return nil, fmt.Errorf("read progress: %w", err)
		}
	}
	return out, nil
}
