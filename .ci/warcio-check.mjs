#!/usr/bin/env node
// warcio-check.mjs DIR URLS_FILE
//
// Reads every .warc.gz in DIR with npm warcio (2.4.11, WARCParser) and checks
//   - every record's WARC-Block-Digest: sha1/base32 over the whole block;
//   - every request/response record's WARC-Payload-Digest: sha1/base32 over
//     the HTTP payload exactly as warcio hands it on (record.reader after the
//     HTTP headers), i.e. with Transfer-Encoding: chunked framing and
//     Content-Encoding kept, which is what warcio's own serializer computes;
//   - every revisit's WARC-Payload-Digest names a response seen in DIR;
//   - every URL listed in URLS_FILE (one a line) has a request record and a
//     response or revisit record.
// Exits 1 with a message for each failure, 2 on usage errors.
//
// Run with NODE_PATH or from a directory where warcio is installed, e.g.
//   npm install --prefix /tmp/warcio warcio@2.4.11
//   NODE_PATH=/tmp/warcio/node_modules node .ci/warcio-check.mjs DIR urls.txt
import { createHash } from "node:crypto";
import { createReadStream, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

// ESM ignores NODE_PATH; resolve warcio through it by hand.
const require = createRequire(join(process.cwd(), "noop.js"));
let warcio;
try {
  const paths = (process.env.NODE_PATH || "").split(":").filter(Boolean);
  warcio = await import(require.resolve("warcio", { paths: [...paths, process.cwd()] }));
} catch (e) {
  console.error(`warcio-check: cannot load warcio (set NODE_PATH): ${e.message}`);
  process.exit(2);
}
const { WARCParser } = warcio;

const [dir, urlsFile] = process.argv.slice(2);
if (!dir || !urlsFile) {
  console.error("usage: warcio-check.mjs DIR URLS_FILE");
  process.exit(2);
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
function base32(buf) {
  let bits = 0, value = 0, out = "";
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  while (out.length % 8) out += "=";
  return out;
}

async function sha1(iterable) {
  const h = createHash("sha1");
  for await (const chunk of iterable) h.update(chunk);
  return "sha1:" + base32(h.digest());
}

const failures = [];
const fail = (msg) => failures.push(msg);

const files = readdirSync(dir).filter((n) => n.endsWith(".warc.gz")).sort();
if (files.length === 0) fail(`no .warc.gz files in ${dir}`);

const requests = new Set();
const responses = new Set();
const payloadDigests = new Set();
const revisitDigests = []; // [where, digest]
let records = 0;

for (const name of files) {
  const path = join(dir, name);
  // Pass 1: the raw block (parseHttp: false) for WARC-Block-Digest.
  try {
    const parser = new WARCParser(createReadStream(path), { parseHttp: false });
    for await (const record of parser) {
      const where = `${name} at offset ${parser.offset}`;
      const want = record.warcBlockDigest;
      const got = await sha1(record.reader);
      records++;
      if (!want) fail(`${where}: ${record.warcType} record has no WARC-Block-Digest`);
      else if (want.toLowerCase().startsWith("sha1:") && got !== want.toUpperCase().replace(/^SHA1:/, "sha1:"))
        fail(`${where}: block digest ${want}, computed ${got}`);
    }
  } catch (e) {
    fail(`${name}: cannot read: ${e.message}`);
    continue;
  }
  // Pass 2: warcio's HTTP parsing for WARC-Payload-Digest and the URL check.
  try {
    const parser = new WARCParser(createReadStream(path));
    for await (const record of parser) {
      const where = `${name} at offset ${parser.offset}`;
      const type = record.warcType;
      const url = record.warcTargetURI;
      const want = record.warcPayloadDigest;
      if (type === "request") requests.add(url);
      if (type === "response" || type === "revisit") responses.add(url);
      if (type === "revisit") {
        revisitDigests.push([where, want]);
        await record.skipFully();
        continue;
      }
      if (type !== "request" && type !== "response") {
        await record.skipFully();
        continue;
      }
      const got = await sha1(record.reader);
      if (!want) fail(`${where}: ${type} record has no WARC-Payload-Digest`);
      else if (got !== want) {
        const te = record.httpHeaders?.headers.get("Transfer-Encoding") || "";
        fail(`${where}: ${type} payload digest ${want}, computed ${got} over the payload as transferred${te ? ` (Transfer-Encoding: ${te})` : ""}`);
      }
      if (type === "response") payloadDigests.add(want);
    }
  } catch (e) {
    fail(`${name}: cannot read: ${e.message}`);
  }
}

for (const [where, digest] of revisitDigests) {
  if (!payloadDigests.has(digest)) fail(`${where}: revisit of ${digest}, which no response record in ${dir} has`);
}

const expected = readFileSync(urlsFile, "utf8").split("\n").map((s) => s.trim()).filter(Boolean);
for (const url of expected) {
  if (!requests.has(url)) fail(`${url}: no request record`);
  if (!responses.has(url)) fail(`${url}: no response or revisit record`);
}

if (failures.length) {
  for (const f of failures) console.error(`warcio-check: ${f}`);
  console.error(`warcio-check: ${failures.length} problem(s) in ${files.length} file(s) of ${dir}`);
  process.exit(1);
}
console.log(`warcio-check: ${records} records in ${files.length} file(s) verified; ${expected.length} expected URLs present`);
