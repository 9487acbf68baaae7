"""Runs the README's pandas recipe on fresh exports and checks the types.

Usage: python3 .ci/pandas-check.py README.md DIR

DIR holds records/, details/ and files/, each with wilson.csv, wilson.json
and wilson.jsonl (written by `go test ./export -run TestLeaveExportsForPython`
with HARVEST_EXPORT_DIR=DIR). The recipe is the python block after the
"pandas-recipe" marker in the README, run as it stands: its definitions, then
each of its `df = ...` lines in every directory. Every frame must have the
documented dtypes, dates as datetimes, and the three formats must read to the
same values.
"""
import math
import os
import re
import sys

import pandas as pd

readme, root = sys.argv[1], sys.argv[2]
text = open(readme, encoding="utf-8").read()
m = re.search(r"<!-- pandas-recipe[^>]*-->\s*```python\n(.*?)```", text, re.S)
if not m:
    sys.exit("no pandas recipe in " + readme)
recipe = m.group(1)
loads = [l for l in recipe.splitlines() if l.startswith("df = ")]
defs = "\n".join(l for l in recipe.splitlines() if not l.startswith("df = "))
if len(loads) != 3:
    sys.exit("the recipe should load csv, json and jsonl: %r" % loads)

ns = {}
exec(defs, ns)


def expected(col):
    if col in ns["DATES"]:
        return "datetime64[ns]"
    if col in ns["TIMES"]:
        return "datetime64[ns, UTC]"
    if col in ns["INTEGERS"]:
        return "Int64"
    if col in ns["LISTS"]:
        return "object"
    return "string"


def plain(v):
    """A cell as plain Python, every kind of missing as None."""
    if isinstance(v, list):
        return v
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return v


failures = 0
checked = 0
for kind in ("records", "details", "files"):
    d = os.path.join(root, kind)
    os.chdir(d)
    frames = {}
    for line in loads:
        name = re.search(r'"(wilson\.\w+)"', line).group(1)
        df = eval(line[len("df = "):], ns)
        frames[name] = df
        for col in df.columns:
            want, got = expected(col), str(df[col].dtype)
            checked += 1
            if got != want:
                print("%s/%s: column %s is %s, want %s" % (kind, name, col, got, want))
                failures += 1
            if col in ns["LISTS"]:
                for v in df[col]:
                    if not (isinstance(v, list) and all(isinstance(x, str) for x in v)) and plain(v) is not None:
                        print("%s/%s: column %s holds %r, want a list of strings or missing" % (kind, name, col, v))
                        failures += 1
    rows = {n: [[plain(v) for v in r] for r in f.itertuples(index=False)] for n, f in frames.items()}
    cols = {n: list(f.columns) for n, f in frames.items()}
    base = rows["wilson.csv"]
    for n in ("wilson.json", "wilson.jsonl"):
        if cols[n] != cols["wilson.csv"]:
            print("%s/%s: columns %s, csv has %s" % (kind, n, cols[n], cols["wilson.csv"]))
            failures += 1
        if rows[n] != base:
            for a, b in zip(base, rows[n]):
                if a != b:
                    print("%s/%s differs from the CSV:\n  csv  %r\n  %s %r" % (kind, n, a, n, b))
            failures += 1
    print("%s: %d rows in csv, json and jsonl, typed alike" % (kind, len(base)))

# Dates are datetimes a user can filter on.
os.chdir(os.path.join(root, "records"))
df = eval(loads[0][len("df = "):], ns)
in1956 = df[(df.date_start >= "1956-01-01") & (df.date_end <= "1956-12-31")]
if len(in1956) < 3 or not all(in1956.date_start.dt.year == 1956):
    print("records of 1956 by date_start/date_end: %d" % len(in1956))
    failures += 1
approx = df[df.date == "1956~"]
if len(approx) != 1 or str(approx.date_start.iloc[0].date()) != "1956-01-01" or str(approx.date_end.iloc[0].date()) != "1956-12-31":
    print("1956~ is not 1956-01-01..1956-12-31: %r" % approx)
    failures += 1

if failures:
    sys.exit("pandas check: %d failures" % failures)
print("pandas check: all %d columns of the 9 frames typed as documented" % checked)
