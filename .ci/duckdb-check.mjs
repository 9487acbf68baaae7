#!/usr/bin/env node
// duckdb-check.mjs README DIR
//
// Runs the README's DuckDB recipe (the sql block after the "duckdb-recipe"
// marker), as it stands, with npm's @duckdb/node-api on the exports in DIR
// (records/ and details/, written by `go test ./export -run
// TestLeaveExportsForPython` with HARVEST_EXPORT_DIR=DIR), and checks
//   - the view `records` (CSV) has the documented types: text VARCHAR,
//     date_start/date_end DATE, times TIMESTAMP WITH TIME ZONE;
//   - `records_json` (JSONL) has the same types and the same rows;
//   - `authors` (a details CSV's multi-valued column) is VARCHAR[] and equal
//     to the JSONL's arrays, escaped bars and backslashes included;
//   - the recipe's final query finds the records of 1956 by date.
// Exits 1 with a message for each failure.
//
//   npm install --prefix /tmp/duck @duckdb/node-api@1.5.6-r.1
//   NODE_PATH=/tmp/duck/node_modules node .ci/duckdb-check.mjs README.md DIR
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const [readme, dir] = process.argv.slice(2).map((p) => resolve(p));
const require = createRequire(join(process.cwd(), "noop.js"));
const paths = (process.env.NODE_PATH || "").split(":").filter(Boolean);
const { DuckDBInstance } = require(require.resolve("@duckdb/node-api", { paths: [...paths, process.cwd()] }));

const text = readFileSync(readme, "utf8");
const m = text.match(/<!-- duckdb-recipe[^>]*-->\s*```sql\n([\s\S]*?)```/);
if (!m) {
  console.error(`duckdb-check: no DuckDB recipe in ${readme}`);
  process.exit(1);
}
const statements = m[1]
  .split("\n")
  .filter((l) => !l.trim().startsWith("--"))
  .join("\n")
  .split(/;\s*(?:\n|$)/)
  .map((s) => s.trim())
  .filter(Boolean);

// The recipe names wilson.csv, wilson.jsonl and details.csv in the working directory.
const work = mkdtempSync(join(tmpdir(), "duckdb-check-"));
copyFileSync(join(dir, "records", "wilson.csv"), join(work, "wilson.csv"));
copyFileSync(join(dir, "records", "wilson.jsonl"), join(work, "wilson.jsonl"));
copyFileSync(join(dir, "details", "wilson.csv"), join(work, "details.csv"));
process.chdir(work);

const db = await DuckDBInstance.create(":memory:");
const c = await db.connect();
let last;
for (const s of statements) {
  last = await c.runAndReadAll(s);
}

let failures = 0;
const fail = (msg) => {
  console.error(msg);
  failures++;
};
const types = async (view) => {
  const r = await c.runAndReadAll(`SELECT * FROM ${view} LIMIT 0`);
  return Object.fromEntries(r.columnNames().map((n, i) => [n, String(r.columnTypes()[i])]));
};
const want = (col) =>
  ["date_start", "date_end"].includes(col) ? "DATE"
  : ["first_seen", "last_seen", "gone_at"].includes(col) ? "TIMESTAMP WITH TIME ZONE"
  : "VARCHAR";

const csvTypes = await types("records");
for (const [col, t] of Object.entries(csvTypes)) {
  if (t !== want(col)) fail(`records (CSV): ${col} is ${t}, want ${want(col)}`);
}
const jsonTypes = await types("records_json");
if (JSON.stringify(jsonTypes) !== JSON.stringify(csvTypes)) {
  fail(`records_json types ${JSON.stringify(jsonTypes)}\n differ from the CSV's ${JSON.stringify(csvTypes)}`);
}
const rows = async (view) => JSON.stringify((await c.runAndReadAll(`SELECT * FROM ${view} ORDER BY url`)).getRowObjectsJson());
if ((await rows("records")) !== (await rows("records_json"))) {
  fail(`records and records_json hold different rows:\n${await rows("records")}\n${await rows("records_json")}`);
}

const authors = await types("authors");
if (authors.author !== "VARCHAR[]") fail(`authors.author is ${authors.author}, want VARCHAR[]`);
const fromJSON = Object.fromEntries(
  readFileSync(join(dir, "details", "wilson.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).map((o) => [o.url, o.author]),
);
for (const r of (await c.runAndReadAll("SELECT url, author FROM authors")).getRowObjectsJson()) {
  if (JSON.stringify(r.author) !== JSON.stringify(fromJSON[r.url])) {
    fail(`authors of ${r.url}: ${JSON.stringify(r.author)}, the JSONL has ${JSON.stringify(fromJSON[r.url])}`);
  }
}

const found = last.getRowObjectsJson();
if (found.length < 3 || !found.every((r) => String(r.date_start).startsWith("1956-"))) {
  fail(`the records of 1956: ${JSON.stringify(found)}`);
}
if (failures) {
  console.error(`duckdb-check: ${failures} failures`);
  process.exit(1);
}
console.log(`duckdb-check: ${statements.length} statements; records typed (${Object.keys(csvTypes).length} columns), JSONL alike, lists split; ${found.length} records of 1956`);
