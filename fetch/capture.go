package fetch

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Exchange is one HTTP request and its response as they crossed the wire:
// what a Recorder (the WARC writer) keeps.
type Exchange struct {
	URL      string    // the request's target URI
	Date     time.Time // when the request was sent (UTC)
	IP       string    // the server's IP address; "" when unknown
	Request  []byte    // the request as sent: request line, headers, body
	Response []byte    // the response exactly as received: status line, headers, body (encodings kept)
}

// A Recorder keeps every exchange; it must be safe for concurrent use.
// An error from it fails the request: a mirror that cannot record what it
// fetched must not pretend it did.
type Recorder interface {
	Record(Exchange) error
}

// tapConn is a connection that copies the bytes written to it and read
// from it into the capture of the exchange now on it. HTTP/1.1 carries one
// exchange at a time on a connection; but net/http hands the connection to
// the next request as soon as the body's last byte is read, before the
// first exchange is taken: so each exchange has a capture of its own, and
// taking it detaches only that one.
type tapConn struct {
	net.Conn
	mu  sync.Mutex
	cur *capture // the exchange on the connection; nil: none
}

// capture is what one exchange sent and received.
type capture struct {
	in, out bytes.Buffer
	// sink, when set, takes what is received instead of in (a download
	// spooled to disk, never whole in memory); sinkErr is its first error.
	sink    io.Writer
	sinkErr error
}

func (c *tapConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		if cp := c.cur; cp != nil && cp.sink != nil {
			if _, err := cp.sink.Write(p[:n]); err != nil && cp.sinkErr == nil {
				cp.sinkErr = err
			}
		} else if cp != nil {
			cp.in.Write(p[:n])
		}
		c.mu.Unlock()
	}
	return n, err
}

func (c *tapConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.mu.Lock()
		if c.cur != nil {
			c.cur.out.Write(p[:n])
		}
		c.mu.Unlock()
	}
	return n, err
}

// begin starts the capture of a new exchange on the connection.
func (c *tapConn) begin() *capture { return c.beginTo(nil) }

// beginTo starts the capture of a new exchange whose received bytes go to
// sink (nil: kept in memory).
func (c *tapConn) beginTo(sink io.Writer) *capture {
	cp := &capture{sink: sink}
	c.mu.Lock()
	c.cur = cp
	c.mu.Unlock()
	return cp
}

// take ends the capture cp and returns what was sent and received; the
// connection stops copying into it, unless another exchange has it already.
func (c *tapConn) take(cp *capture) (sent, received []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == cp {
		c.cur = nil
	}
	return cp.out.Bytes(), cp.in.Bytes()
}

// remoteIP is the peer's address without its port.
func (c *tapConn) remoteIP() string {
	if a, ok := c.Conn.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, err := net.SplitHostPort(c.Conn.RemoteAddr().String())
	if err != nil {
		return ""
	}
	return host
}

// tappingDialers returns DialContext and DialTLSContext functions whose
// connections are tapped. TLS is done here, so that the tap sees the
// plaintext HTTP; a transport with its own DialTLSContext speaks HTTP/1.1,
// which is what an archive's capture wants.
func tappingDialers(d *net.Dialer, tlsConfig *tls.Config) (func(ctx context.Context, network, addr string) (net.Conn, error), func(ctx context.Context, network, addr string) (net.Conn, error)) {
	plain := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &tapConn{Conn: c}, nil
	}
	secure := func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cfg := tlsConfig.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			host, _, _ := net.SplitHostPort(addr)
			cfg.ServerName = host
		}
		cfg.NextProtos = []string{"http/1.1"}
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("tls handshake with %s: %w", addr, err)
		}
		return &tapConn{Conn: tc}, nil
	}
	return plain, secure
}

// rebuild writes an exchange from the parsed request and response when no
// tapped connection carried it (through a proxy's tunnel, say): the
// headers as Go holds them, the body as received.
func rebuild(req *http.Request, resp *http.Response, body []byte) (sent, received []byte) {
	var out bytes.Buffer
	_ = req.Write(&out)
	var in bytes.Buffer
	fmt.Fprintf(&in, "%s %s\r\n", protoOf(resp), resp.Status)
	h := resp.Header.Clone()
	h.Del("Transfer-Encoding")
	h.Set("Content-Length", fmt.Sprint(len(body)))
	_ = h.Write(&in)
	in.WriteString("\r\n")
	in.Write(body)
	return out.Bytes(), in.Bytes()
}

func protoOf(resp *http.Response) string {
	if strings.HasPrefix(resp.Proto, "HTTP/") {
		return resp.Proto
	}
	return "HTTP/1.1"
}

// headerField finds the field name in a raw HTTP message's header block:
// the offsets of the CRLF that starts its line, of its value (after the
// colon), and of the CRLF that ends it.
func headerField(msg []byte, name string) (line, value, end int, ok bool) {
	head := len(msg)
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		head = i + 2
	}
	prefix := []byte("\r\n" + strings.ToLower(name) + ":")
	line = bytes.Index(bytes.ToLower(msg[:head]), prefix)
	if line < 0 {
		return 0, 0, 0, false
	}
	value = line + len(prefix)
	end = head
	if j := bytes.Index(msg[value:head], []byte("\r\n")); j >= 0 {
		end = value + j
	}
	return line, value, end, true
}

// withoutHeader drops the header field name (and its value) from a raw
// HTTP message: the proxy's credentials are not the archive's business.
func withoutHeader(msg []byte, name string) []byte {
	line, _, end, ok := headerField(msg, name)
	if !ok {
		return msg
	}
	return append(append([]byte{}, msg[:line]...), msg[end:]...)
}

// redactAuth replaces the value of a request's Authorization header, as
// recorded, so that no capture keeps credentials.
func redactAuth(request []byte) []byte {
	_, value, end, ok := headerField(request, "Authorization")
	if !ok {
		return request
	}
	out := append(append([]byte{}, request[:value]...), " [redacted]"...)
	return append(out, request[end:]...)
}
