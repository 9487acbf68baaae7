package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

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
	// Facets of document pages (when harvested): records with this value
	// among their subjects, people (associated people and authors),
	// places, languages.
	Subject, Person, Place, Language string
	Offset                           int // results to skip
	Limit                            int // results to return; 0 for 20
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
	Total    int  // how many records match; with More, how many were counted
	More     bool // more than CountLimit match
	Hits     []SearchHit
	FullText bool // false: the database has no full-text index yet (see HasSearchIndex)
	Ranked   bool // ordered by relevance (asked for, and no more than RankLimit matches)
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

// check is q.Check, and refuses facets on a database without their table.
func (db *DB) check(q SearchQuery) error {
	if err := q.Check(); err != nil {
		return err
	}
	if !db.HasSearchIndex() && q.Subject+q.Person+q.Place+q.Language != "" {
		return fmt.Errorf("%w: this database has no facet index yet (schema older than version %d): run harvest crawl on it once to upgrade it", ErrBadQuery, SearchVersion)
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
func (q SearchQuery) filters(indexed bool) (string, []any) {
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
	for _, f := range [...][2]string{{"subject", q.Subject}, {"person", q.Person}, {"place", q.Place}, {"language", q.Language}} {
		if f[1] != "" {
			where = append(where, `r.url IN (SELECT url FROM document_terms WHERE facet = ? AND value = ?)`)
			args = append(args, f[0], f[1])
		}
	}
	switch q.Status {
	case StatusNew:
		where = append(where, `r.first_seen >= ?`)
		args = append(args, q.Since)
	case StatusGone:
		where = append(where, `r.gone_at IS NOT NULL AND r.gone_at >= ?`)
		args = append(args, q.Since)
	case StatusChanged:
		if indexed {
			where = append(where, `r.changed_at IS NOT NULL AND r.changed_at >= ?`)
		} else {
			where = append(where, `r.url IN (SELECT url FROM record_changes WHERE changed_at >= ? AND field NOT IN ('gone', 'returned'))`)
		}
		args = append(args, q.Since)
	}
	return strings.Join(where, " AND "), args
}

const recordColumns = `r.url, r.title, r.date, r.date_text, r.summary, r.listing_url, r.first_seen, r.last_seen, COALESCE(r.gone_at, '')`

// scanRecordAfter reads first into before, then the columns of
// recordColumns.
func scanRecordAfter(rows interface{ Scan(...any) error }, before ...any) (harvest.Record, error) {
	var r harvest.Record
	var first, last, gone string
	dest := append(before, &r.URL, &r.Title, &r.Date, &r.DateText, &r.Summary, &r.ListingURL, &first, &last, &gone)
	if err := rows.Scan(dest...); err != nil {
		return r, err
	}
	r.FirstSeen, _ = time.Parse(time.RFC3339, first)
	r.LastSeen, _ = time.Parse(time.RFC3339, last)
	r.GoneAt, _ = time.Parse(time.RFC3339, gone)
	return r, nil
}

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

// Limits that keep a search fast however common its words (see Search).
const (
	// RankLimit is the most matches Search ranks by relevance: bm25 costs
	// some microseconds per match. More are shown most recently harvested
	// first (newest first when filters narrow them), and the result says so
	// (SearchResult.Ranked).
	RankLimit = 1000
	// CountLimit is the most matches Search counts exactly; beyond it the
	// result says "more than" (SearchResult.More). A download has them all.
	CountLimit = 1000
)

// The limits Search applies (tests lower them).
var countLimit, rankLimit = CountLimit, RankLimit

// plan is the SQL of a search: FROM and WHERE, their arguments, and the
// ORDER BY.
type plan struct {
	from, where string
	args        []any
	fts         bool   // from joins records_fts
	match       string // the FTS5 query
	filtered    bool   // there are filters besides the words
	like        []term // the terms, when matched as plain text
	sort        string // the order asked for, default resolved
}

// plan makes the SQL of q. When broad, the search's filters match so many
// records that walking the order's index and testing each row beats
// reading the matches by the filters' indexes and sorting them: the
// filters' columns are then kept from using an index.
func (db *DB) plan(q SearchQuery, broad bool) plan {
	ts := terms(q.Text)
	where, args := q.filters(db.HasSearchIndex())
	if broad {
		where = unindexed(where)
	}
	p := plan{from: `records r`, where: where, args: args, filtered: where != ""}
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
		p.match = matchExpr(ts)
		// CROSS JOIN: the matches drive, each record read by its rowid;
		// never a full-text seek per record of a date range.
		p.from = `records_fts CROSS JOIN records r ON r.rowid = records_fts.rowid`
		and(`records_fts MATCH ?`, p.match)
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
	p.sort = q.Sort
	if p.sort == "" || (p.sort == SortRelevance && !p.fts) {
		p.sort = SortNewest
		if p.fts {
			p.sort = SortRelevance
		}
	}
	return p
}

// order is the ORDER BY of the plan; ranked says whether a relevance
// order may rank (else it is by harvest order, newest first).
func (p plan) order(ranked bool) string {
	switch p.sort {
	case SortRelevance:
		if ranked {
			return `rank`
		}
		return `records_fts.rowid DESC`
	case SortOldest:
		return `r.date = '', r.date, r.rowid`
	}
	return `r.date DESC, r.rowid DESC`
}

// whereRanked is the WHERE clause, with bm25's weights for a ranked
// search: title matches weigh most, then details, then the summary.
func (p plan) whereRanked(ranked bool) string {
	w := p.where
	if ranked && p.sort == SortRelevance {
		w += ` AND rank MATCH 'bm25(10.0, 1.0, 2.0)'`
	}
	if w == "" {
		return ""
	}
	return " WHERE " + w
}

// Search returns one page of the records that match q, with the matched
// words marked, and how many match in all.
//
// It stays fast however common the words: it counts up to CountLimit
// matches (SearchResult.More says when there are more), ranks by relevance
// only up to RankLimit matches (beyond, the most recently harvested come
// first and SearchResult.Ranked is false), and finds the page's records
// before it reads them, so that highlights are made for those alone.
func (db *DB) Search(ctx context.Context, q SearchQuery) (SearchResult, error) {
	if err := db.check(q); err != nil {
		return SearchResult{}, err
	}
	if q.Limit == 0 {
		q.Limit = 20
	}
	p := db.plan(q, false)
	if p.fts {
		return db.searchText(ctx, q, p)
	}
	res := SearchResult{FullText: db.HasSearchIndex()}
	where := ""
	if p.where != "" {
		where = " WHERE " + p.where
	}
	var err error
	if p.where == "" && db.HasSearchIndex() {
		// No words, no filter: the count from the per-year table.
		err = db.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM record_years`).Scan(&res.Total)
	} else {
		err = db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM records r`+where+` LIMIT ?)`, append(p.args, countLimit+1)...).Scan(&res.Total)
	}
	if err != nil {
		return res, fmt.Errorf("search: count: %w", err)
	}
	if res.Total > countLimit && p.where != "" {
		res.Total, res.More = countLimit, true
	}
	if res.Total == 0 || (q.Offset >= res.Total && !res.More) {
		return res, nil
	}
	if res.More {
		// Many match: walk the order's index, testing each record.
		p = db.plan(q, true)
		where = " WHERE " + p.where
	}
	var mark *regexp.Regexp
	if len(p.like) > 0 {
		mark = likeMarker(p.like)
	}
	args := append(append([]any{}, p.args...), q.Limit, q.Offset)
	err = db.each(ctx, `SELECT `+recordColumns+` FROM records r`+where+` ORDER BY `+p.order(false)+` LIMIT ? OFFSET ?`, args, func(rows *sql.Rows) error {
		var h SearchHit
		var err error
		if h.Record, err = scanRecord(rows); err != nil {
			return err
		}
		h.TitleMarked, h.SummaryMarked = clean(h.Title), clean(h.Summary)
		if mark != nil {
			h.TitleMarked = mark.ReplaceAllString(h.TitleMarked, MarkStart+"$0"+MarkEnd)
			h.SummaryMarked = mark.ReplaceAllString(h.SummaryMarked, MarkStart+"$0"+MarkEnd)
		}
		res.Hits = append(res.Hits, h)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("search: %w", err)
	}
	return res, nil
}

// searchText is Search with words, over the full-text index.
//
// The matches are counted in the index alone first. When there are few,
// they drive: each record is read by its rowid and tested against the
// filters. When there are many and there are filters, the filters drive
// (by their indexes, or a walk in the order asked for), each record tested
// for membership of the matches, which SQLite gathers once: no record is
// read for each of thousands of matches, and no full-text lookup is made
// for each record of a date range.
func (db *DB) searchText(ctx context.Context, q SearchQuery, p plan) (SearchResult, error) {
	res := SearchResult{FullText: true}
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM records_fts WHERE records_fts MATCH ? LIMIT ?)`, p.match, countLimit+1).Scan(&n); err != nil {
		return res, fmt.Errorf("search: count: %w", err)
	}
	few := n <= countLimit
	filters, fargs := q.filters(true)
	from, where, args := `records_fts`, ` WHERE records_fts MATCH ?`, []any{p.match}
	switch {
	case !p.filtered:
		res.Total = n
	case few:
		from = `records_fts CROSS JOIN records r ON r.rowid = records_fts.rowid`
		where += ` AND ` + filters
		args = append(args, fargs...)
	default:
		from = `records r`
		where = ` WHERE ` + filters + ` AND +r.rowid IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?)`
		args = append(fargs, p.match)
	}
	if p.filtered {
		if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+from+where+` LIMIT ?)`, append(args, countLimit+1)...).Scan(&res.Total); err != nil {
			return res, fmt.Errorf("search: count: %w", err)
		}
	}
	if res.Total > countLimit {
		res.Total, res.More = countLimit, true
	}
	if res.Total == 0 || (q.Offset >= res.Total && !res.More) {
		return res, nil
	}
	res.Ranked = p.sort == SortRelevance && !res.More && res.Total <= rankLimit
	page := []any{q.Limit, q.Offset}
	var query string
	var qargs []any
	rowid := `records_fts.rowid`
	if from == `records r` {
		rowid = `r.rowid`
	}
	switch {
	case res.Ranked && from == `records r`:
		// Few match, found by the filters: rank them in the index.
		ids, err := db.rowids(ctx, `SELECT r.rowid FROM `+from+where, args)
		if err != nil {
			return res, fmt.Errorf("search: %w", err)
		}
		query = `SELECT rowid FROM records_fts WHERE records_fts MATCH ? AND rank MATCH 'bm25(10.0, 1.0, 2.0)' AND rowid IN (` + placeholders(len(ids)) + `) ORDER BY rank LIMIT ? OFFSET ?`
		qargs = append([]any{p.match}, anys(ids)...)
		qargs = append(qargs, page...)
	case res.Ranked:
		query = `SELECT records_fts.rowid FROM ` + from + where + ` AND rank MATCH 'bm25(10.0, 1.0, 2.0)' ORDER BY rank LIMIT ? OFFSET ?`
		qargs = append(args, page...)
	case p.sort == SortRelevance && from == `records r`:
		// Too many to rank, found by the filters: newest first, along the
		// date index.
		query = `SELECT r.rowid FROM records r` + unindexed(where) + ` ORDER BY r.date DESC, r.rowid DESC LIMIT ? OFFSET ?`
		qargs = append(args, page...)
	case p.sort == SortRelevance:
		// Too many to rank: most recently harvested first, as the index
		// holds them.
		query = `SELECT ` + rowid + ` FROM ` + from + where + ` ORDER BY ` + rowid + ` DESC LIMIT ? OFFSET ?`
		qargs = append(args, page...)
	default:
		if from == `records_fts` {
			// Ordered by date: the records are needed.
			if few {
				from = `records_fts CROSS JOIN records r ON r.rowid = records_fts.rowid`
			} else {
				from, where, rowid = `records r`, ` WHERE +r.rowid IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?)`, `r.rowid`
			}
		}
		query = `SELECT ` + rowid + ` FROM ` + from + where + ` ORDER BY ` + p.order(false) + ` LIMIT ? OFFSET ?`
		qargs = append(args, page...)
	}
	ids, err := db.rowids(ctx, query, qargs)
	if err != nil {
		return res, fmt.Errorf("search: %w", err)
	}
	if len(ids) == 0 {
		return res, nil
	}
	byID := make(map[int64]harvest.Record, len(ids))
	err = db.each(ctx, `SELECT r.rowid, `+recordColumns+` FROM records r WHERE r.rowid IN (`+placeholders(len(ids))+`)`, anys(ids), func(rows *sql.Rows) error {
		var id int64
		r, err := scanRecordAfter(rows, &id)
		byID[id] = r
		return err
	})
	if err != nil {
		return res, fmt.Errorf("search: read hits: %w", err)
	}
	ts := terms(q.Text)
	for _, id := range ids {
		r := byID[id]
		res.Hits = append(res.Hits, SearchHit{Record: r, TitleMarked: markTerms(r.Title, ts), SummaryMarked: markTerms(excerpt(r.Summary, ts, 320), ts)})
	}
	return res, nil
}

// rowids runs a query of one integer column and returns its values.
func (db *DB) rowids(ctx context.Context, query string, args []any) ([]int64, error) {
	var ids []int64
	err := db.each(ctx, query, args, func(rows *sql.Rows) error {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	})
	return ids, err
}

// placeholders is "?,?,…", n of them (n > 0).
func placeholders(n int) string { return strings.Repeat(",?", n)[1:] }

// anys is ids as query arguments.
func anys(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
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
	if err := db.check(q); err != nil {
		return err
	}
	p := db.plan(q, false)
	rows, err := db.db.QueryContext(ctx, `SELECT `+recordColumns+` FROM `+p.from+p.whereRanked(true)+` ORDER BY `+p.order(true), p.args...)
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
	if o.Listings, err = db.listings(ctx); err != nil {
		return o, fmt.Errorf("overview: listings: %w", err)
	}
	if o.Runs, err = db.lastRuns(ctx, runs); err != nil {
		return o, fmt.Errorf("overview: %w", err)
	}
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*)`+failedFrom).Scan(&o.FailedTotal); err != nil {
		return o, fmt.Errorf("overview: failed pages: %w", err)
	}
	if o.FailedPages, err = db.failedPages(ctx, failed); err != nil {
		return o, fmt.Errorf("overview: failed pages: %w", err)
	}
	return o, nil
}

// lastRuns lists the newest n runs, newest first.
func (db *DB) lastRuns(ctx context.Context, n int) ([]Run, error) {
	return db.runs(ctx, "ORDER BY id DESC LIMIT ?", []any{n})
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
// under way, or one that stopped without recording its end and that no
// later run has closed as interrupted yet.
func (db *DB) Progress(ctx context.Context) ([]Progress, error) {
	var out []Progress
	var walks []int64
	err := db.each(ctx, `SELECT r.id, r.start_url, r.mode, r.started_at, COALESCE(r.walk_id, 0), COALESCE(w.total, 0)
		FROM runs r LEFT JOIN walks w ON w.id = r.walk_id WHERE r.finished_at IS NULL AND r.outcome = ? ORDER BY r.id DESC LIMIT 5`, []any{harvest.OutcomeRunning}, func(rows *sql.Rows) error {
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

// unindexed keeps the filters on when a record was first seen, gone or
// changed from using their indexes, so that the order's index drives. Not
// the date: its index serves the order too (a range of it is the filter
// and the order at once).
func unindexed(where string) string {
	for _, c := range []string{"r.first_seen ", "r.gone_at ", "r.changed_at "} {
		where = strings.ReplaceAll(where, c, "+"+c)
	}
	return where
}

// likeEscape escapes LIKE's wildcards (with \ as the escape character).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// token is a word of a text: a run of letters and digits, as FTS5's
// unicode61 tokenizer sees words, and its folded form.
type token struct {
	start, end int // byte offsets
	folded     string
}

// fold is a word as the index compares it: lower case, without
// diacritics.
func fold(s string) string {
	out, _, err := transform.String(foldChain, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}

var foldChain = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

func tokens(s string) []token {
	var out []token
	start := -1
	for i, r := range s {
		word := unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r)
		switch {
		case word && start < 0:
			start = i
		case !word && start >= 0:
			out = append(out, token{start, i, fold(s[start:i])})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, token{start, len(s), fold(s[start:])})
	}
	return out
}

// matchAt reports how many tokens from i the term matches (0: none).
func (t term) matchAt(toks []token, i int, words []string) int {
	if i+len(words) > len(toks) {
		return 0
	}
	for j, w := range words {
		got := toks[i+j].folded
		if got == w || (t.prefix && j == len(words)-1 && strings.HasPrefix(got, w)) {
			continue
		}
		return 0
	}
	return len(words)
}

// markTerms puts MarkStart and MarkEnd around the words of s that the
// terms match, as the index matches them: whole words, case and
// diacritics ignored; a phrase only where all its words stand in order.
func markTerms(s string, ts []term) string {
	s = clean(s)
	toks := tokens(s)
	marked := make([]bool, len(toks))
	for _, t := range ts {
		var words []string
		for _, w := range tokens(t.text) {
			words = append(words, w.folded)
		}
		if len(words) == 0 {
			continue
		}
		for i := range toks {
			for k := range t.matchAt(toks, i, words) {
				marked[i+k] = true
			}
		}
	}
	var b strings.Builder
	at := 0
	for i, tk := range toks {
		if !marked[i] {
			continue
		}
		b.WriteString(s[at:tk.start])
		b.WriteString(MarkStart)
		b.WriteString(s[tk.start:tk.end])
		b.WriteString(MarkEnd)
		at = tk.end
	}
	b.WriteString(s[at:])
	return b.String()
}

// excerpt shortens s to about n bytes around the first word a term
// matches (its beginning when none does), cut at spaces, with "…" where
// it was cut.
func excerpt(s string, ts []term, n int) string {
	if len(s) <= n {
		return s
	}
	first := 0
	marked := markTerms(s, ts)
	if i := strings.Index(marked, MarkStart); i > 0 {
		first = i // before the first mark, marked and s are the same
	}
	start := max(0, first-n/4)
	if start > 0 {
		if j := strings.IndexByte(s[start:], ' '); j >= 0 && j < n/4 {
			start += j + 1
		}
	}
	end := min(len(s), start+n)
	if end < len(s) {
		if j := strings.LastIndexByte(s[start:end], ' '); j > n/2 {
			end = start + j
		}
	}
	for start > 0 && !utf8.RuneStart(s[start]) {
		start--
	}
	for end < len(s) && !utf8.RuneStart(s[end]) {
		end--
	}
	out := s[start:end]
	if start > 0 {
		out = "…" + out
	}
	if end < len(s) {
		out += "…"
	}
	return out
}

// Facets of document pages.
const (
	FacetSubject  = "subject"
	FacetPerson   = "person"
	FacetPlace    = "place"
	FacetLanguage = "language"
)

// FacetCount is how many records have a value of a facet.
type FacetCount struct {
	Value string
	Count int
}

// Facet returns the n values of facet (one of the Facet constants) that
// most records have, most first, from the precomputed counts. A database
// before SearchVersion has none.
func (db *DB) Facet(ctx context.Context, facet string, n int) ([]FacetCount, error) {
	if !db.HasSearchIndex() {
		return nil, nil
	}
	var out []FacetCount
	err := db.each(ctx, `SELECT value, n FROM document_term_counts WHERE facet = ? AND n > 0 ORDER BY n DESC, value LIMIT ?`, []any{facet, n}, func(rows *sql.Rows) error {
		var f FacetCount
		if err := rows.Scan(&f.Value, &f.Count); err != nil {
			return err
		}
		out = append(out, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read facet %s: %w", facet, err)
	}
	return out, nil
}

// DocumentCount is how many records have their document page stored.
func (db *DB) DocumentCount(ctx context.Context) (int, error) {
	if db.version < docsVersion {
		return 0, nil
	}
	var n int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM documents WHERE ok = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count documents: %w", err)
	}
	return n, nil
}

// Document returns the stored document page of the record with url, or
// nil when none is stored.
func (db *DB) Document(ctx context.Context, url string) (*harvest.Document, error) {
	if db.version < docsVersion {
		return nil, nil
	}
	d := harvest.Document{URL: url}
	var fields, texts, links, at string
	err := db.db.QueryRowContext(ctx, `SELECT fetch_url, node_id, title, date, date_text, summary, fields, texts, links, status, COALESCE(fetched_at, '')
		FROM documents WHERE url = ? AND ok = 1`, url).Scan(&d.FetchURL, &d.NodeID, &d.Title, &d.Date, &d.DateText, &d.Summary, &fields, &texts, &links, &d.Status, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read document %s: %w", url, err)
	}
	if err := unmarshalDocument(&d, fields, texts, links); err != nil {
		return nil, err
	}
	d.FetchedAt, _ = time.Parse(time.RFC3339, at)
	return &d, nil
}

func unmarshalDocument(d *harvest.Document, fields, texts, links string) error {
	for _, part := range []struct {
		name, json string
		to         any
	}{{"fields", fields, &d.Fields}, {"texts", texts, &d.Texts}, {"links", links, &d.Links}} {
		if err := json.Unmarshal([]byte(part.json), part.to); err != nil {
			return fmt.Errorf("%s of %s: %w", part.name, d.URL, err)
		}
	}
	return nil
}

// Attachment is an attachment of a record in the manifest: downloaded (its
// SHA256 set) or not yet (its last try's Status and Error).
type Attachment struct {
	harvest.FileEntry
	Status int
	Error  string
}

// Attachments lists the attachments of the record with url, in the order
// its document page links them.
func (db *DB) Attachments(ctx context.Context, url string) ([]Attachment, error) {
	if db.version < docsVersion {
		return nil, nil
	}
	var out []Attachment
	err := db.each(ctx, `SELECT url, label, content_type, size, sha256, COALESCE(fetched_at, ''), status, error FROM files
		WHERE record_url = ? ORDER BY position, rowid`, []any{url}, func(rows *sql.Rows) error {
		a := Attachment{FileEntry: harvest.FileEntry{RecordURL: url}}
		var at string
		if err := rows.Scan(&a.URL, &a.Label, &a.ContentType, &a.Size, &a.SHA256, &at, &a.Status, &a.Error); err != nil {
			return err
		}
		a.FetchedAt, _ = time.Parse(time.RFC3339, at)
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read attachments of %s: %w", url, err)
	}
	return out, nil
}

// FileBySHA256 returns an attachment whose content has the digest, and
// whether the manifest has one.
func (db *DB) FileBySHA256(ctx context.Context, sum string) (harvest.FileEntry, bool, error) {
	var e harvest.FileEntry
	if db.version < docsVersion {
		return e, false, nil
	}
	var at string
	err := db.db.QueryRowContext(ctx, `SELECT record_url, url, label, content_type, size, sha256, COALESCE(fetched_at, '') FROM files WHERE sha256 = ? LIMIT 1`, sum).
		Scan(&e.RecordURL, &e.URL, &e.Label, &e.ContentType, &e.Size, &e.SHA256, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("read file %s: %w", sum, err)
	}
	e.FetchedAt, _ = time.Parse(time.RFC3339, at)
	return e, true, nil
}

// SearchDetails calls fn for every record that matches q, as
// SearchRecords, with its stored document page (nil when none).
func (db *DB) SearchDetails(ctx context.Context, q SearchQuery, fn func(harvest.Record, *harvest.Document) error) error {
	if db.version < docsVersion {
		return db.SearchRecords(ctx, q, func(r harvest.Record) error { return fn(r, nil) })
	}
	if err := db.check(q); err != nil {
		return err
	}
	p := db.plan(q, false)
	rows, err := db.db.QueryContext(ctx, `SELECT `+recordColumns+`, d.url IS NOT NULL, COALESCE(d.fetch_url, ''), COALESCE(d.node_id, ''),
		COALESCE(d.title, ''), COALESCE(d.date, ''), COALESCE(d.date_text, ''), COALESCE(d.summary, ''), COALESCE(d.fields, '[]'),
		COALESCE(d.texts, '[]'), COALESCE(d.links, '[]'), COALESCE(d.status, 0), COALESCE(d.fetched_at, '')
		FROM `+p.from+` LEFT JOIN documents d ON d.url = r.url AND d.ok = 1`+p.whereRanked(true)+` ORDER BY `+p.order(true), p.args...)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d harvest.Document
		var has bool
		var fields, texts, links, at string
		r, err := scanRecord(rows, &has, &d.FetchURL, &d.NodeID, &d.Title, &d.Date, &d.DateText, &d.Summary, &fields, &texts, &links, &d.Status, &at)
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		if !has {
			if err := fn(r, nil); err != nil {
				return err
			}
			continue
		}
		d.URL = r.URL
		if err := unmarshalDocument(&d, fields, texts, links); err != nil {
			return fmt.Errorf("search: %w", err)
		}
		d.FetchedAt, _ = time.Parse(time.RFC3339, at)
		if err := fn(r, &d); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	return nil
}
