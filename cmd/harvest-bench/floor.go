package main

import (
	"fmt"
	"strings"
	"sync"

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

// floorDetails is the floor of a crawl with document pages: a bare colly
// collector, parallel, visits every listing page (their number given),
// extracts each record's link and visits it, and on each document page
// extracts the title and every labelled block, storing nothing.
func floorDetails(start string, pages, parallel int) error {
	c := colly.NewCollector(colly.Async(true))
	c.IgnoreRobotsTxt = true
	if err := c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: parallel}); err != nil {
		return err
	}
	var mu sync.Mutex
	listings, docs, fields := 0, 0, 0
	c.OnHTML("td.document a[href]", func(e *colly.HTMLElement) {
		_ = e.Request.Visit(e.Attr("href"))
	})
	c.OnHTML("body", func(e *colly.HTMLElement) {
		title := strings.TrimSpace(e.ChildText("h1"))
		n := 0
		e.ForEach(".information-block, .pill .name span", func(_ int, b *colly.HTMLElement) {
			if strings.TrimSpace(b.Text) != "" {
				n++
			}
		})
		mu.Lock()
		defer mu.Unlock()
		if strings.Contains(e.Request.URL.Path, "/document/") {
			docs++
			fields += n
			_ = title
		} else {
			listings++
		}
	})
	var ferr error
	c.OnError(func(r *colly.Response, err error) {
		mu.Lock()
		ferr = fmt.Errorf("%s: %w", r.Request.URL, err)
		mu.Unlock()
	})
	sep := "?"
	if strings.Contains(start, "?") {
		sep = "&"
	}
	for k := 0; k < pages; k++ {
		u := start
		if k > 0 {
			u = fmt.Sprintf("%s%spage=%d", start, sep, k)
		}
		if err := c.Visit(u); err != nil {
			return err
		}
	}
	c.Wait()
	fmt.Printf("%d listing pages, %d document pages, %d fields\n", listings, docs, fields)
	return ferr
}
