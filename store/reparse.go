package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/harvest-archive/harvest"
)

// saveReparsed stores a page parsed again from its capture (p.Reparsed). It
// is not a fetch, so it leaves alone what only a fetch may say:
//   - the frontier: a page of an unfinished walk stays pending (the
//     resumed crawl fetches it live); a page new to its walk (captures
//     re-parsed into a new database) is added as done;
//   - which walk last saw a record, and whether it is gone: a capture of a
//     page a later walk no longer has does not bring its records back;
//   - a record last seen on another page after this capture was made: its
//     fields stay as that later sighting left them.
//
// A record this page was the last to show gets the fields the parser reads
// now, with a history row for each changed one; a record not stored yet is
// added as seen when captured. When the page's records are those stored for
// it already (pages.records_hash), nothing is written.
func (db *DB) saveReparsed(ctx context.Context, tx *sql.Tx, p harvest.PageResult, now string) (harvest.Counts, error) {
	var c harvest.Counts
	hash := recordsHash(p)
	var stored string
	err := tx.StmtContext(ctx, db.stmts.hash).QueryRowContext(ctx, p.URL).Scan(&stored)
	switch {
	case err == nil && stored == hash:
		c.Unchanged = len(p.Records)
		return c, nil
	case err != nil && err != sql.ErrNoRows:
		return c, fmt.Errorf("read page %s: %w", p.URL, err)
	}
	ins := tx.StmtContext(ctx, db.stmts.ins)
	chg := tx.StmtContext(ctx, db.stmts.chg)
	urls := make([]string, 0, len(p.Records))
	for _, r := range p.Records {
		urls = append(urls, r.URL)
		res, err := ins.ExecContext(ctx, r.URL, r.Title, r.Date, r.DateText, r.Summary, r.ListingURL, now, now, p.WalkID)
		if err != nil {
			return c, fmt.Errorf("insert %s: %w", r.URL, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			c.New++
			continue
		}
		var old harvest.Record
		var listingURL, lastSeen string
		if err := tx.StmtContext(ctx, db.stmts.reSel).QueryRowContext(ctx, r.URL).
			Scan(&old.Title, &old.Date, &old.DateText, &old.Summary, &listingURL, &lastSeen); err != nil {
			return c, fmt.Errorf("read %s: %w", r.URL, err)
		}
		if listingURL != r.ListingURL && now < lastSeen {
			c.Unchanged++ // seen since on another page: that sighting stands
			continue
		}
		changed, err := recordChanges(ctx, chg, old, r, now, p.RunID)
		if err != nil {
			return c, err
		}
		if !changed {
			c.Unchanged++
			continue
		}
		c.Updated++
		if _, err := tx.StmtContext(ctx, db.stmts.reUpd).ExecContext(ctx, r.Title, r.Date, r.DateText, r.Summary, now, r.URL); err != nil {
			return c, fmt.Errorf("update %s: %w", r.URL, err)
		}
	}
	// The page's validators stay those of its last fetch; what it holds is
	// what the parser reads now.
	if _, err := tx.StmtContext(ctx, db.stmts.rePage).ExecContext(ctx, p.URL, p.ETag, p.LastModified, p.Next, p.Total, strings.Join(urls, "\n"), now, hash); err != nil {
		return c, fmt.Errorf("keep page %s: %w", p.URL, err)
	}
	if _, err := tx.StmtContext(ctx, db.stmts.reFront).ExecContext(ctx, p.WalkID, p.URL, p.WalkID, p.Status, len(p.Records), p.Charset, p.InvalidBytes, now, kindOf(p.Kind)); err != nil {
		return c, fmt.Errorf("frontier %s: %w", p.URL, err)
	}
	return c, nil
}
