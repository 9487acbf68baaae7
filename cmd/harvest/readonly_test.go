package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/harvest-archive/harvest/fixtures"
)

// export, stats and history only read: they work on a read-only copy of a
// database, in a directory nobody may write, and leave nothing beside it.
// Root ignores permissions, so as root the program runs as nobody.
func TestReadOnlyDatabase(t *testing.T) {
	srv := fixtures.NewServer(fixtures.NewArchive(25, 5))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	top := t.TempDir()
	work := filepath.Join(top, "work")
	ro := filepath.Join(top, "ro")
	for _, d := range []string{work, ro} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, stderr := run(t, work, "crawl", srv.ListingURL(0), "--db", "h.db", "--delay", "0", "--quiet"); code != 0 {
		t.Fatalf("crawl: exit %d\n%s", code, stderr)
	}
	db := filepath.Join(ro, "h.db")
	copyTo(t, filepath.Join(work, "h.db"), db, 0o444)
	bin := os.Args[0]
	if os.Getuid() == 0 {
		bin = filepath.Join(top, "harvest.test")
		copyTo(t, os.Args[0], bin, 0o755)
		for _, d := range []string{top, filepath.Dir(top)} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(ro, 0o755) })

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--db", db, "--format", "jsonl"}, srv.URL + "/document/"},
		{[]string{"stats", "--db", db}, "Records: 25"},
		{[]string{"stats", "--db", db, "--json"}, `"records": 25`},
		{[]string{"history", "--db", db, srv.URL + srv.Archive.Docs()[3].Path()}, "no changes recorded"},
		{[]string{"history", "--db", db, "--format", "csv", srv.URL + srv.Archive.Docs()[3].Path()}, "url,changed_at"},
	} {
		cmd := exec.Command(bin, "-test.run=^$")
		cmd.Dir = top
		cmd.Env = append(os.Environ(), "HARVEST_TEST_MAIN=1", "HARVEST_TEST_ARGS="+testArgs(c.args))
		if os.Getuid() == 0 {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Errorf("%s: %v\n%s", c.args[0], err, errb.String())
			continue
		}
		if !strings.Contains(out.String(), c.want) {
			t.Errorf("%v: output lacks %q:\n%.500s", c.args, c.want, out.String())
		}
	}
	ents, _ := os.ReadDir(ro)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("the read-only directory holds %v; want h.db alone", names)
	}
}

func copyTo(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
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
