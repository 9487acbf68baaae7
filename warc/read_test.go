package warc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadDamagedFile(t *testing.T) {
	cases := []struct {
		name   string
		damage func(data []byte, second int64) []byte // second: offset of the second response record
	}{
		{"Truncated", func(d []byte, second int64) []byte { return d[:second+40] }},
		{"Garbled", func(d []byte, second int64) []byte {
			d = append([]byte(nil), d...)
			for i := second + 20; i < second+60; i++ {
				d[i] ^= 0x5a
			}
			return d
		}},
		{"NotGzip", func(d []byte, second int64) []byte {
			return append(d[:second:second], "WARC/1.1\r\nthis is not a record\r\n"...)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			mustWrite(t, mustOpen(t, Options{Dir: dir}),
				exchange("http://example.org/1", plain(page(1, 4<<10))),
				exchange("http://example.org/2", plain(page(2, 4<<10))),
				exchange("http://example.org/3", plain(page(3, 4<<10))),
			)
			name := "harvest-20261128034512-00000.warc.gz"
			path := filepath.Join(dir, name)
			entries, err := readIndex(indexPath(path))
			if err != nil {
				t.Fatal(err)
			}
			second := entries[1].offset()
			data, _ := os.ReadFile(path)
			if err := os.WriteFile(path, tc.damage(data, second), 0o644); err != nil {
				t.Fatal(err)
			}

			var got []string
			err = Read(t.Context(), dir, func(c Capture) error { got = append(got, c.URL); return nil })
			if err == nil {
				t.Fatal("Read of a damaged file succeeded")
			}
			if msg := err.Error(); !strings.Contains(msg, name) || !strings.Contains(msg, "offset") {
				t.Errorf("error %q does not name the file and offset", msg)
			}
			if len(got) != 1 || got[0] != "http://example.org/1" {
				t.Errorf("delivered %v before the damage, want the first page", got)
			}
			if err := Index(t.Context(), dir); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("Index error = %v, want one naming %s", err, name)
			}
		})
	}
}

func TestReadRevisitWithoutOriginal(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, mustOpen(t, Options{Dir: dir}), exchange("http://example.org/1", plain("same")))
	mustWrite(t, mustOpen(t, Options{Dir: dir}), exchange("http://example.org/2", plain("same")))
	first := files(t, dir, "*.warc.gz")[0]
	os.Remove(filepath.Join(dir, first))
	os.Remove(filepath.Join(dir, strings.TrimSuffix(first, ".warc.gz")+".cdxj"))

	err := Read(t.Context(), dir, func(Capture) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "no original") || !strings.Contains(err.Error(), "offset") {
		t.Errorf("Read error = %v, want a missing original named with file and offset", err)
	}
}

func TestDecodeBodyRejectsBadEncodings(t *testing.T) {
	cases := []struct {
		name     string
		response []byte
	}{
		{"BrokenChunks", []byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc")},
		{"BrokenGzip", []byte("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\nnot gzip")},
		{"Unknown", []byte("HTTP/1.1 200 OK\r\nContent-Encoding: zstd\r\n\r\nxyz")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			header, payload, _ := splitHTTP(tc.response)
			h, _ := parseHeader(header)
			if _, err := decodeBody(h, payload); err == nil {
				t.Error("decodeBody succeeded")
			}
		})
	}
}
