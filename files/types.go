package files

import (
	"fmt"
	"mime"
	"path"
	"strings"
)

// Types is the set of attachment types to keep (--file-types pdf,jpg,…),
// as file extensions without the dot; empty keeps every type.
type Types map[string]bool

// ParseTypes reads a comma-separated list of extensions ("pdf, .JPG"): each
// is letters and digits only.
func ParseTypes(s string) (Types, error) {
	t := Types{}
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(f), "."))
		if f == "" {
			continue
		}
		for _, c := range f {
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
				return nil, fmt.Errorf("file type %q: want an extension such as pdf", f)
			}
		}
		t[f] = true
	}
	return t, nil
}

// Allow reports whether an attachment is of a kept type: by its content
// type (application/pdf is pdf), by the extension of its URL's path, or by
// that of the file name the server suggested (only ever compared, never
// used as a path).
func (t Types) Allow(contentType, urlPath, suggested string) bool {
	if len(t) == 0 {
		return true
	}
	for _, p := range []string{urlPath, suggested} {
		if e := strings.ToLower(strings.TrimPrefix(path.Ext(p), ".")); e != "" && t[e] {
			return true
		}
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if _, sub, ok := strings.Cut(mt, "/"); ok && t[sub] {
		return true // application/pdf, image/jpeg
	}
	exts, _ := mime.ExtensionsByType(mt)
	for _, e := range exts {
		if t[strings.TrimPrefix(e, ".")] {
			return true
		}
	}
	return false
}

// String lists the types, for messages.
func (t Types) String() string {
	var out []string
	for e := range t {
		out = append(out, e)
	}
	return strings.Join(out, ",")
}
