package files

import (
	"context"

	"github.com/harvest-archive/harvest"
)

// Problem is a manifest row whose file is missing or corrupt.
type Problem struct {
	Entry harvest.FileEntry
	Err   error // wraps ErrMissing or ErrCorrupt (or says why the file could not be read)
}

// Report is what VerifyManifest found.
type Report struct {
	Rows     int       // manifest rows read
	Files    int       // distinct files re-hashed
	Problems []Problem // in manifest order
}

// VerifyManifest re-hashes the file of every manifest row that each hands
// over (store.Reader.Files), once per digest, and reports the rows whose
// file is missing or corrupt. It stops when ctx is done.
func (d *Dir) VerifyManifest(ctx context.Context, each func(fn func(harvest.FileEntry) error) error) (Report, error) {
	var rep Report
	checked := map[string]error{} // digest -> what Verify said
	err := each(func(e harvest.FileEntry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		rep.Rows++
		err, ok := checked[e.SHA256]
		if !ok {
			err = d.Verify(e.SHA256, e.Size)
			checked[e.SHA256] = err
			rep.Files++
		}
		if err != nil {
			rep.Problems = append(rep.Problems, Problem{Entry: e, Err: err})
		}
		return nil
	})
	return rep, err
}
