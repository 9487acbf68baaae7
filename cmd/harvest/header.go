package main

import (
	"fmt"
	"net/http"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// headerFlagUsage is the help of --header, on crawl and probe.
const headerFlagUsage = "send this header field with every request, as `'Name: value'` (repeat for more); Authorization is kept out of WARC captures"

// refusedHeaders are the fields --header may not set: harvest or HTTP itself
// sets them, or they would change what a response means.
var refusedHeaders = map[string]string{
	"User-Agent":          "use --user-agent",
	"Host":                "the URL names the host",
	"Content-Length":      "harvest sends GET requests without a body",
	"Transfer-Encoding":   "harvest sends GET requests without a body",
	"Connection":          "a hop-by-hop field belongs to the transport",
	"Te":                  "a hop-by-hop field belongs to the transport",
	"Upgrade":             "a hop-by-hop field belongs to the transport",
	"Accept-Encoding":     "the transport asks for the encodings it can undo",
	"If-None-Match":       "harvest sends the validators of its conditional requests itself",
	"If-Modified-Since":   "harvest sends the validators of its conditional requests itself",
	"Range":               "a part of a page is no page",
	"Proxy-Authorization": "set the credentials in HTTPS_PROXY / HTTP_PROXY",
}

// parseHeaders turns --header values ("Name: value") into a header, or says
// which one is wrong (a usage error).
func parseHeaders(fields []string) (http.Header, error) {
	if len(fields) == 0 {
		return nil, nil
	}
	h := http.Header{}
	for _, f := range fields {
		name, value, ok := strings.Cut(f, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: --header %q: want 'Name: value'", errUsage, f)
		case !httpguts.ValidHeaderFieldName(name):
			return nil, fmt.Errorf("%w: --header %q: %q is not a header field name", errUsage, f, name)
		case !httpguts.ValidHeaderFieldValue(value):
			return nil, fmt.Errorf("%w: --header %q: the value holds characters a header cannot carry", errUsage, f)
		}
		canon := http.CanonicalHeaderKey(name)
		if why, refused := refusedHeaders[canon]; refused {
			return nil, fmt.Errorf("%w: --header %s: harvest sets it itself (%s)", errUsage, canon, why)
		}
		h.Add(canon, value)
	}
	return h, nil
}
