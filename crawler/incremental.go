package crawler

import (
	"fmt"
	"log/slog"

	"github.com/harvest-archive/harvest"
)

// incremental is the state of an incremental walk: it walks the listing
// newest first and stops at the first page that holds nothing new or changed.
type incremental struct {
	caughtUp bool // a page with nothing new was met: the walk ends there
}

// incrementalStart returns the page an incremental walk starts from and the
// walk's mode: the listing ordered newest first by the profile's query, or as
// it is when the profile says it already is. A profile that knows no such
// order gives a full walk with conditional requests, said as information, not
// as a warning: it is how every run of that listing goes, and a scheduled run
// under --quiet (cron) must print nothing on a healthy night.
func incrementalStart(cfg Config, listing string, log *slog.Logger) (start, mode string, err error) {
	switch p := cfg.Profile; {
	case p.NewestFirstQuery != "":
		if start, err = withQuery(listing, p.NewestFirstQuery); err != nil {
			return "", "", fmt.Errorf("profile %s: newest_first_query: %w", p.Name, err)
		}
		return start, harvest.WalkIncremental, nil
	case p.NewestFirst:
		return listing, harvest.WalkIncremental, nil
	default:
		log.Info("--incremental: the profile knows no newest-first order for this listing; walking all of it with conditional requests", "profile", p.Name)
		return listing, harvest.WalkFull, nil
	}
}

// noteCaughtUp ends an incremental walk at a stored page whose records were
// all stored before, unchanged.
func (c *crawl) noteCaughtUp(r result, cnt harvest.Counts) {
	if c.sum.Mode != harvest.WalkIncremental || cnt.New != 0 || cnt.Updated != 0 || cnt.Unchanged == 0 || len(r.next) == 0 {
		return
	}
	// Its next page stays pending in this walk's frontier, never fetched:
	// the walk is finished at the end all the same.
	c.caughtUp = true
	c.log.Info("incremental: a whole page of records already stored; stopping", "page", r.url)
}
