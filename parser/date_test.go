package parser

import "testing"

func TestNormalizeDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"December 7, 1955", "1955-12-07"},
		{"7 December 1955", "1955-12-07"},
		{"Dec. 7, 1955", "1955-12-07"},
		{"7th of December, 1955", "1955-12-07"},
		{"  December\n 7,   1955 ", "1955-12-07"},
		{"December 1955", "1955-12"},
		{"1955", "1955"},
		{"1955-12-07", "1955-12-07"},
		{"1955-12", "1955-12"},
		{"c. 1956", "1956~"},
		{"circa 1956", "1956~"},
		{"ca. December 1955", "1955-12~"},
		{"1956?", "1956?"},
		{"[1956]", "1956?"},
		{"c. 1956?", "1956%"},
		{"1950s", "195X"},
		{"Spring 1956", "1956-21"},
		{"September 17-19, 1956", "1956-09-17/1956-09-19"},
		{"September 17 – 19, 1956", "1956-09-17/1956-09-19"},
		{"September 17, 1956 - October 2, 1956", "1956-09-17/1956-10-02"},
		{"September 30 - October 2, 1956", "1956-09-30/1956-10-02"},
		{"December 30, 1955 - January 2, 1956", "1955-12-30/1956-01-02"},
		{"September-October 1956", "1956-09/1956-10"},
		{"1955-1956", "1955/1956"},
		{"1955 to 1957", "1955/1957"},
		{"between 1955 and 1957", "1955/1957"},
		{"1956-09-17/1956-09-19", "1956-09-17/1956-09-19"},
		{"Date: December 7, 1955", ""}, // labels are the caller's business
		{"", ""},
		{"undated", ""},
		{"n.d.", ""},
		{"12/07/1955", ""},        // month or day first? never guess
		{"February 30, 1956", ""}, // no such day
		{"February 29, 1956", "1956-02-29"},
		{"February 29, 1955", ""},
		{"1957 - 1955", ""}, // backwards
		{"Telegram from A. Mikoyan", ""},
		{"286", ""},
		{"December 7", ""}, // no year
		{"Décembre 1955", "1955-12"},
		{"7 décembre 1955", "1955-12-07"},
		{"7. Dezember 1955", "1955-12-07"},
		{"7 de diciembre de 1955", "1955-12-07"},
		{"7 декабря 1955 г.", "1955-12-07"},
		{"1955-12-07T00:00:00Z", "1955-12-07"},
		{"Prosinec 1955", ""}, // a language it does not read
		{"the 7th of December, 1955", "1955-12-07"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormalizeDate(tt.in); got != tt.want {
				t.Errorf("NormalizeDate(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzNormalizeDate(f *testing.F) {
	for _, s := range []string{"December 7, 1955", "c. 1956", "September 17-19, 1956", "1950s", "between 1 and 2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = NormalizeDate(s) // must not panic
	})
}
