package parser

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

func TestDecodeHTML(t *testing.T) {
	cyr, _ := charmap.Windows1251.NewEncoder().String("Журнал посла СССР в КНДР. Телеграмма Микояна в ЦК КПСС о заседании президиума. Протокол заседания Политбюро")
	lat, _ := charmap.Windows1252.NewEncoder().String("Déclaration du gouvernement français sur la conférence à Genève")
	pad := strings.Repeat(`<meta name="x" content="padding padding padding padding">`, 30) // past 1024 bytes
	tests := []struct {
		name, body, ct, charset, contains string
		guessed                           bool
	}{
		{"late meta", "<html><head>" + pad + `<meta charset="windows-1251"><title>` + cyr + "</title></head><body></body></html>", "", "windows-1251", "Журнал посла", false},
		{"header wins", "<html><head><title>" + cyr + "</title></head></html>", "text/html; charset=windows-1251", "windows-1251", "Телеграмма", false},
		{"undeclared cyrillic", "<html><head><title>" + cyr + "</title></head><body><p>" + cyr + "</p><p>" + cyr + "</p></body></html>", "", "windows-1251", "Политбюро", true},
		{"undeclared latin", "<html><head><title>" + lat + "</title></head><body><p>" + lat + "</p></body></html>", "", "windows-1252", "Déclaration", true},
		{"utf-8", "<html><body>Журнал</body></html>", "", "utf-8", "Журнал", false},
		{"undeclared, undetectable", "<html><body>\xc0\xc1\xf5\xf6\xf7</body></html>", "", "windows-1252", "<body>", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DecodeHTML([]byte(tt.body), tt.ct)
			if d.Charset != tt.charset || d.Guessed != tt.guessed || !strings.Contains(string(d.Body), tt.contains) {
				t.Errorf("charset %q guessed %v, body %q", d.Charset, d.Guessed, snippet(string(d.Body)))
			}
		})
	}
}
