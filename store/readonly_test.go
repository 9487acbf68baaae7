package store

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/harvest-archive/harvest"
)

// filled makes a database with one walk, one page and one record, closed.
func filled(t *testing.T, dir string) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(dir, "h.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := db.NewWalk(ctx, "http://x/search", harvest.WalkFull, "http://x/search")
	if _, err := db.SavePage(ctx, harvest.PageResult{WalkID: w.ID, URL: "http://x/search", Records: []harvest.Record{rec("http://x/document/a", "A")}}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// reads checks that the reading methods see the filled database.
func reads(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	if n, err := db.Count(ctx); err != nil || n != 1 {
		t.Errorf("Count = %d, %v; want 1", n, err)
	}
	if s, err := db.Stats(ctx); err != nil || s.Records != 1 {
		t.Errorf("Stats = %+v, %v; want 1 record", s, err)
	}
	if recs := all(t, db); len(recs) != 1 || recs[0].Title != "A" {
		t.Errorf("Records = %+v", recs)
	}
	n := 0
	if err := db.ListingPages(ctx, func(string, int64) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("ListingPages: %d pages, %v; want 1", n, err)
	}
}

func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()

	t.Run("ReadsAndRefusesWrites", func(t *testing.T) {
		dir := t.TempDir()
		path := filled(t, dir)
		if err := os.Chmod(path, 0o444); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		db, err := OpenReadOnly(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		reads(t, db)
		if _, err := db.SavePages(ctx, []harvest.PageResult{{WalkID: 1, URL: "http://x/search?page=1"}}); !errors.Is(err, ErrReadOnly) {
			t.Errorf("SavePages through a read-only open: %v, want ErrReadOnly", err)
		}
		if _, err := db.BeginRun(ctx, harvest.Walk{ID: 1, StartURL: "http://x/search"}); err == nil {
			t.Error("BeginRun through a read-only open succeeded")
		}
		if err := db.FinishWalk(ctx, 1); err == nil {
			t.Error("FinishWalk through a read-only open succeeded")
		}
		if err := db.Lock(); !errors.Is(err, ErrReadOnly) {
			t.Errorf("Lock of a read-only open: %v, want ErrReadOnly", err)
		}
	})

	t.Run("MissingFileIsNamedAndNotCreated", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "none.db")
		_, err := OpenReadOnly(ctx, path)
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
			t.Errorf("err = %v; want one naming %s and wrapping fs.ErrNotExist", err, path)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the missing database was created: %v", err)
		}
	})

	t.Run("SeesWhatAnOpenWriterCommitted", func(t *testing.T) {
		path := filled(t, t.TempDir())
		w, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		walk, _ := w.NewWalk(ctx, "http://y/search", harvest.WalkFull, "http://y/search")
		if _, err := w.SavePage(ctx, harvest.PageResult{WalkID: walk.ID, URL: "http://y/search", Records: []harvest.Record{rec("http://y/document/b", "B")}}); err != nil {
			t.Fatal(err)
		}
		r, err := OpenReadOnly(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if n, err := r.Count(ctx); err != nil || n != 2 {
			t.Errorf("Count while the writer is open = %d, %v; want 2", n, err)
		}
	})

	t.Run("NewerSchemaRefused", func(t *testing.T) {
		path := filled(t, t.TempDir())
		raw, _ := sql.Open("sqlite", "file:"+path)
		if _, err := raw.Exec(`INSERT INTO schema_migrations VALUES (999, 'x')`); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		if _, err := OpenReadOnly(ctx, path); err == nil || !strings.Contains(err.Error(), "upgrade harvest") {
			t.Errorf("err = %v; want a refusal saying to upgrade harvest", err)
		}
	})

	t.Run("TooOldSchemaRefusedWithAdvice", func(t *testing.T) {
		path := oldDatabase(t, 1)
		_, err := OpenReadOnly(ctx, path)
		if err == nil || !strings.Contains(err.Error(), "run a crawl with this harvest to upgrade it") {
			t.Errorf("err = %v; want advice to run a crawl", err)
		}
		if v := versionOf(t, path); v != 1 {
			t.Errorf("the read-only open changed the schema to version %d", v)
		}
	})

	t.Run("Version4ReadAsItIs", func(t *testing.T) {
		path := oldDatabase(t, 4)
		db, err := OpenReadOnly(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		reads(t, db)
		if v := versionOf(t, path); v != 4 {
			t.Errorf("the read-only open changed the schema to version %d", v)
		}
	})

	t.Run("NotAHarvestDatabase", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "empty.db")
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenReadOnly(ctx, path); err == nil {
			t.Error("an empty file opened as a harvest database")
		}
	})
}

// oldDatabase makes a database of schema version v holding one record on
// one listing page of one walk.
func oldDatabase(t *testing.T, v int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`}
	for _, m := range ms[:v] {
		stmts = append(stmts, m.body, `INSERT INTO schema_migrations VALUES (`+strconv.Itoa(m.version)+`, '2026-01-01T00:00:00Z')`)
	}
	stmts = append(stmts,
		`INSERT INTO records (url, title, date, date_text, summary, listing_url, first_seen, last_seen) VALUES ('http://x/document/a', 'A', '1955', '1955', 's', 'http://x/search', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
		`INSERT INTO walks (id, start_url, started_at) VALUES (1, 'http://x/search', '2026-01-01T00:00:00Z')`,
		`INSERT INTO frontier (walk_id, url, seq, state, updated_at) VALUES (1, 'http://x/search', 0, 'done', '2026-01-01T00:00:00Z')`)
	for _, s := range stmts {
		if _, err := raw.Exec(s); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
	}
	return path
}

func versionOf(t *testing.T, path string) int {
	t.Helper()
	raw, _ := sql.Open("sqlite", "file:"+path+"?mode=ro")
	defer raw.Close()
	v, err := schemaVersion(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A WAL database in a directory the reader cannot write: SQLite's read-only
// mode cannot make the -shm file there, and OpenReadOnly must still read it.
// Root ignores permissions, so as root the test runs its own binary again as
// nobody.
func TestOpenReadOnlyInAnUnwritableDirectory(t *testing.T) {
	if path := os.Getenv("STORE_RO_CHILD"); path != "" {
		db, err := OpenReadOnly(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		reads(t, db)
		return
	}
	if os.Getuid() != 0 {
		t.Skip("runs as root, to drop to nobody")
	}
	top := t.TempDir()
	dir := filepath.Join(top, "ro")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filled(t, dir)
	bin := filepath.Join(top, "store.test")
	copyFile(t, os.Args[0], bin)
	for _, c := range []struct {
		p    string
		mode os.FileMode
	}{{path, 0o444}, {dir, 0o555}, {top, 0o755}, {filepath.Dir(top), 0o755}} {
		if err := os.Chmod(c.p, c.mode); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	cmd := exec.Command(bin, "-test.run=^TestOpenReadOnlyInAnUnwritableDirectory$", "-test.v")
	cmd.Env = append(os.Environ(), "STORE_RO_CHILD="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("reading as nobody: %v\n%s", err, out)
	}
	if _, err := os.Stat(path + "-shm"); err == nil {
		t.Error("a -shm file appeared in the read-only directory")
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
