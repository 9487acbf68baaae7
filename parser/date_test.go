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

// A date is recognised as displayed even when it cannot be normalised; what
// is unambiguous is normalised, a time dropped, an identifier refused.
func TestDisplayedDate(t *testing.T) {
	tests := []struct {
		in, norm string
		ok       bool
	}{
		{"16.02.2016 15:06", "2016-02-16", true},
		{"ottobre 27, 2015 - 12:40 pm", "2015-10-27", true},
		{"Tuesday, March 3, 2015", "2015-03-03", true},
		{"Samstag, 19. Juli 2014", "2014-07-19", true},
		{"05/09/25", "", true},
		{"12/07/1955", "", true},
		{"13/07/1955", "1955-07-13", true},
		{"07/13/1955", "1955-07-13", true},
		{"2015/03/04", "2015-03-04", true},
		{"December 7, 1955 at 10:30", "1955-12-07", true},
		{"Opinion #: 2015-03", "", false},
		{"No. 1955-12", "", false},
		{"Docket: 1955-12", "", false},
		{"Telegram from A. Mikoyan", "", false},
		{"16.02.2016 10.02.2016", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			norm, ok := displayedDate(tt.in)
			if norm != tt.norm || ok != tt.ok {
				t.Errorf("displayedDate(%q) = %q, %v; want %q, %v", tt.in, norm, ok, tt.norm, tt.ok)
			}
		})
	}
}

func TestDateLineAndOrder(t *testing.T) {
	for in, want := range map[string]string{
		"August 30, 2017 / 4":                       "August 30, 2017",
		"02.12.2022 | Husum (agency) - A long text": "02.12.2022",
		"Date: December 7, 1955":                    "December 7, 1955",
		"Opinion #: 2015-03":                        "",
		"Posted by Ned Deily at 5:11 AM":            "",
	} {
		if got := dateLine(in); got != want {
			t.Errorf("dateLine(%q) = %q, want %q", in, got, want)
		}
	}
	if o := dateOrder([]string{"05/09/1955", "13/09/1955"}); o != 'd' {
		t.Errorf("order = %c, want d", o)
	}
	if got := normalizeIn("05/09/1955", 'd'); got != "1955-09-05" {
		t.Errorf("normalizeIn = %q", got)
	}
	if got := normalizeIn("05/09/1955", 0); got != "" {
		t.Errorf("normalizeIn without order = %q", got)
	}
}

// A date after a label word without a colon is the line's date.
func TestDateLineAfterWord(t *testing.T) {
	for in, want := range map[string]string{
		"Decided 06/25/2024":                    "06/25/2024",
		"Filed Feb 23, 2018":                    "Feb 23, 2018",
		"2024 OK 57, 119791 Decided 06/25/2024": "06/25/2024",
		"Posted on March 3, 2020":               "March 3, 2020",
		"Case No. 16-0775":                      "",
		"Filed under politics, 2020 reforms":    "",
	} {
		if got := dateLine(in); got != want {
			t.Errorf("dateLine(%q) = %q, want %q", in, got, want)
		}
	}
}
