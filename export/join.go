package export

import (
	"context"
	"errors"
	"fmt"

	"github.com/harvest-archive/harvest"
)

// DocumentReader gives the records and the stored document pages, both in
// the same order (the store's record order; the documents a subsequence of
// the records), as store.Reader does.
type DocumentReader interface {
	Source
	Documents(ctx context.Context, fn func(harvest.Document) error) error
}

// Join pairs every record of r with its document page by walking the two
// streams side by side: memory holds a few documents at a time, whatever
// the number of records.
func Join(r DocumentReader) DetailSource { return joined{r} }

type joined struct{ r DocumentReader }

// errStop ends the documents' walk when the records' walk has ended.
var errStop = errors.New("stop")

// Details calls fn with each record and its document (nil when none is
// stored). A document that matches no record in order is an error: the
// reader does not give them in record order.
func (j joined) Details(ctx context.Context, fn func(harvest.Record, *harvest.Document) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(errStop)
	docs := make(chan harvest.Document, 64)
	done := make(chan error, 1)
	go func() {
		defer close(docs)
		done <- j.r.Documents(ctx, func(d harvest.Document) error {
			select {
			case docs <- d:
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		})
	}()
	next, more := <-docs
	err := j.r.Records(ctx, func(rec harvest.Record) error {
		if more && next.URL == rec.URL {
			d := next
			next, more = <-docs
			return fn(rec, &d)
		}
		return fn(rec, nil)
	})
	if err != nil {
		cancel(errStop)
		for range docs { // let the reader's goroutine end
		}
		<-done
		return err
	}
	if more {
		cancel(errStop)
		for range docs {
		}
		<-done
		return fmt.Errorf("document %s comes out of record order, or belongs to no record", next.URL)
	}
	if err := <-done; err != nil {
		return fmt.Errorf("documents: %w", err)
	}
	return nil
}
