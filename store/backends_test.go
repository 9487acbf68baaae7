package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harvest-archive/harvest/store"
)

// A path is a SQLite file; an address of a server names its backend.
func TestIsFile(t *testing.T) {
	for _, c := range []struct {
		dsn  string
		file bool
	}{
		{"harvest.db", true},
		{"/var/lib/harvest/h.db", true},
		{"./x://y.db", true},
		{`C:\harvest.db`, true},
		{"postgres://u@h/db", false},
		{"postgresql://h/db?sslmode=disable", false},
	} {
		if got := store.IsFile(c.dsn); got != c.file {
			t.Errorf("IsFile(%q) = %v, want %v", c.dsn, got, c.file)
		}
	}
}

// OpenBackend opens a file as SQLite (read-only when asked), and refuses an
// address no backend is registered for, naming its scheme.
func TestOpenBackend(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	b, err := store.OpenBackend(ctx, path, store.OpenOptions{Lock: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := b.(*store.DB); !ok {
		t.Errorf("OpenBackend(%q) is a %T, want *store.DB", path, b)
	}
	b.Close()
	r, err := store.OpenBackend(ctx, path, store.OpenOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.NewWalk(ctx, "http://x/", "full", "http://x/"); err == nil {
		t.Error("a read-only open wrote")
	}
	r.Close()
	_, err = store.OpenBackend(ctx, "mysql://h/db", store.OpenOptions{})
	if err == nil || !strings.Contains(err.Error(), "mysql://") {
		t.Errorf("OpenBackend(mysql://...) = %v, want an error naming the scheme", err)
	}
}
