package main

import (
	"fmt"
	"strings"

	"github.com/gocolly/colly/v2"
)

// floor walks the listing with a bare colly collector: the next link one page
// after another, each record's date, title and summary extracted, nothing
// stored. It is what colly itself costs.
func floor(start string) error {
	c := colly.NewCollector()
	c.IgnoreRobotsTxt = true
	records, pages := 0, 0
	var title, date, summary string
	c.OnHTML("td.document", func(e *colly.HTMLElement) {
		date = strings.TrimSpace(e.ChildText(".date"))
		title = strings.TrimSpace(e.ChildText("a[href]"))
		summary = strings.TrimSpace(e.ChildText(".summary"))
		if e.ChildAttr("a[href]", "href") != "" {
			records++
		}
	})
	c.OnHTML("li.pager__item--next a[href]", func(e *colly.HTMLElement) {
		_ = e.Request.Visit(e.Attr("href"))
	})
	c.OnScraped(func(*colly.Response) { pages++ })
	var ferr error
	c.OnError(func(r *colly.Response, err error) { ferr = fmt.Errorf("%s: %w", r.Request.URL, err) })
	if err := c.Visit(start); err != nil {
		return err
	}
	c.Wait()
	_, _, _ = title, date, summary
	fmt.Printf("%d pages, %d records\n", pages, records)
	return ferr
}
