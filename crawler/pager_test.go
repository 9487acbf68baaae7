package crawler

import "testing"

func TestPageJump(t *testing.T) {
	for _, tt := range []struct {
		from, next string
		records    int
		far        bool
	}{
		{"http://h/search", "http://h/search?page=1", 10, false},
		{"http://h/search?page=2", "http://h/search?page=3", 10, false},
		{"http://h/search?start=10", "http://h/search?start=20", 10, false},
		{"http://h/search", "http://h/search?start=11", 10, false},
		{"http://h/search?q=a", "http://h/search?q=a&p=2", 10, false},
		{"http://h/search", "http://h/search?page=1000000000", 10, true},
		{"http://h/search?page=2", "http://h/search?page=1000000000", 10, true},
		{"http://h/search?page=2", "http://h/other?page=1000000000", 10, false}, // another listing: not judged
		{"http://h/search?page=2", "http://h/search?page=9&q=b", 10, false},     // more than the number changes
		{"http://h/search", "http://h/search?after=c2VjcmV0", 10, false},        // a cursor that is no number
	} {
		if _, _, far := pageJump(tt.from, tt.next, tt.records); far != tt.far {
			t.Errorf("pageJump(%s, %s) far = %v, want %v", tt.from, tt.next, far, tt.far)
		}
	}
}

func TestBrokenNext(t *testing.T) {
	const at = "http://h/search?page=2"
	for _, tt := range []struct {
		name, pager, want string
	}{
		{"no next link", `<a href="?page=1">2</a>`, ""},
		{"disabled by class", `<li class="next disabled"><a href="#">Next</a></li>`, ""},
		{"disabled by aria", `<a rel="next" href="javascript:void(0)" aria-disabled="true">Next</a>`, ""},
		{"label without link", `<span class="next">Next</span>`, ""},
		{"javascript", `<li class="pager__item--next"><a href="javascript:void(0)">Next ›</a></li>`, "next link is not a page: javascript:void(0)"},
		{"hash", `<a rel="next" href="#">Next</a>`, "next link is not a page: #"},
		{"itself", `<a title="Go to next page" href="?page=2">›</a>`, "next link points to the page itself"},
		{"itself by text", `<a href="/search?page=2">Next</a>`, "next link points to the page itself"},
	} {
		body := "<html><body><main><p>records</p></main><nav class=\"pager\">" + tt.pager + "</nav></body></html>"
		if got := brokenNext([]byte(body), at); got != tt.want {
			t.Errorf("%s: brokenNext = %q, want %q", tt.name, got, tt.want)
		}
	}
}
