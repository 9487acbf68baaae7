package fetch

import "testing"

func TestSplitUserinfo(t *testing.T) {
	tests := []struct {
		in, out, user, pass string
		has                 bool
	}{
		{"http://h/search", "http://h/search", "", "", false},
		{"http://bob:s3cret@h:8080/search?q=1", "http://h:8080/search?q=1", "bob", "s3cret", true},
		{"http://bob:pa#ss@127.0.0.1:1/search", "http://127.0.0.1:1/search", "bob", "pa#ss", true},
		{"http://bob:12#34@host/", "http://host/", "bob", "12#34", true},
		{"https://bob:a?c@d@host/x@y", "https://host/x@y", "bob", "a?c@d", true},
		{"https://bob:a%2Fb@host/", "https://host/", "bob", "a/b", true},
		{"http://bob%40x:p%3Aw@h/", "http://h/", "bob@x", "p:w", true},
		{"http://h/a@b", "http://h/a@b", "", "", false},
		{"not a url", "not a url", "", "", false},
	}
	for _, tt := range tests {
		out, u := SplitUserinfo(tt.in)
		if out != tt.out || (u != nil) != tt.has {
			t.Errorf("SplitUserinfo(%q) = %q, %v; want %q, credentials %v", tt.in, out, u, tt.out, tt.has)
			continue
		}
		if u != nil {
			pass, _ := u.Password()
			if u.Username() != tt.user || pass != tt.pass {
				t.Errorf("SplitUserinfo(%q): user %q pass %q; want %q, %q", tt.in, u.Username(), pass, tt.user, tt.pass)
			}
		}
	}
}
