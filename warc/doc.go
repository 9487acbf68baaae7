// Package warc records raw HTTP exchanges into WARC 1.1 files, reads them
// back, and keeps a CDXJ index beside every file.
//
// A [Writer] turns each [Exchange] into a request record and a response
// record (or a revisit record when the payload was already captured), each
// record its own gzip member, in files named PREFIX-TIMESTAMP-SERIAL.warc.gz
// that are written under a ".open" suffix and renamed when finished. Closing
// the writer writes NAME.cdxj beside every file it wrote. [Index] rebuilds
// those indexes from the WARC files, and [Read] walks every response and
// revisit record of a directory with revisits resolved to their original
// payload.
//
// # Library
//
// Records are read and validated with github.com/nlnwa/gowarc/v3. The write
// path marshals records itself (each byte hashed once per digest, the raw
// exchange compressed without a copy); the tests read everything it writes
// back with gowarc's strict reader. See README.md in this directory for why
// that library and not github.com/internetarchive/gowarc.
//
// # Payload digest of chunked responses
//
// The response block is stored exactly as it crossed the wire, and
// WARC-Payload-Digest is the SHA-1 (base32) of every byte after the blank
// line that ends the HTTP headers, with Transfer-Encoding: chunked framing
// and Content-Encoding left in place. That is what gowarc validates when it
// reads a record and what warcio (Python and JavaScript) computes and
// checks, so the three agree. Deduplication compares those digests, so two
// identical bodies sent with different chunk boundaries are stored twice;
// that is rare and costs only space.
package warc
