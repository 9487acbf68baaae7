package warc

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// A writer that died (kill -9) leaves NAME.warc.gz.open behind: the next
// writer (or Index) keeps its whole records, drops the one cut off at the
// end, and gives the file its name and index; Read then sees the records.
func TestOpenRecoversWhatADeadWriterLeft(t *testing.T) {
	for _, cut := range []int64{0, 100} { // cleanly after a record; in the middle of one
		dir := t.TempDir()
		w := mustOpen(t, Options{Dir: dir})
		for _, ex := range []Exchange{exchange("http://h/a", plain(page(1, 4<<10))), exchange("http://h/b", plain(page(2, 4<<10)))} {
			if err := w.Write(ex); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Sync(); err != nil {
			t.Fatal(err)
		}
		// The process dies: its file descriptor (and lock) goes, the file
		// stays open-named; with cut, a third record was half written.
		open := filepath.Join(dir, w.name+openSuffix)
		w.file.Close()
		if cut > 0 {
			f, err := os.OpenFile(open, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff")) // a gzip header, and no more
			f.Close()
		}
		if err := Index(context.Background(), dir); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(open); !os.IsNotExist(err) {
			t.Errorf("cut %d: %s still there (%v)", cut, filepath.Base(open), err)
		}
		var got []string
		if err := Read(context.Background(), dir, func(c Capture) error { got = append(got, c.URL); return nil }); err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if len(got) != 2 {
			t.Errorf("cut %d: recovered %v, want both pages", cut, got)
		}
		readWithLibrary(t, filepath.Join(dir, w.name))
	}
}

// A file a live writer holds is left alone.
func TestRecoverLeavesALiveWriterAlone(t *testing.T) {
	dir := t.TempDir()
	w := mustOpen(t, Options{Dir: dir})
	if err := w.Write(exchange("http://h/a", plain("x"))); err != nil {
		t.Fatal(err)
	}
	if err := Index(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, w.name+openSuffix)); err != nil {
		t.Errorf("the live writer's file was touched: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// ReadLatestAsIs (harvest serve's reader) writes nothing: a file a dead
// writer left open stays as it was, and is not read, until a crawl or
// `harvest warc index` finishes it; ReadLatest finishes it first.
func TestReadLatestAsIsLeavesADeadWritersFile(t *testing.T) {
	dir := t.TempDir()
	w := mustOpen(t, Options{Dir: dir})
	if err := w.Write(exchange("http://h/a", plain(page(1, 4<<10)))); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, w.name+openSuffix)
	w.file.Close() // the process dies
	before, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := ReadLatestAsIs(context.Background(), dir, nil, func(Capture) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("as is: %d captures, %v; want none", n, err)
	}
	after, _ := os.ReadDir(dir)
	if _, err := os.Stat(open); err != nil || len(after) != len(before) {
		t.Errorf("ReadLatestAsIs changed the directory: %v, %d entries before, %d after", err, len(before), len(after))
	}
	if err := ReadLatest(context.Background(), dir, nil, func(Capture) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("ReadLatest: %d captures, %v; want the recovered one", n, err)
	}
}
