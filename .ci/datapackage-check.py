"""Reads CSV exports typed through their datapackage.json, with python3's
csv and json modules alone, and compares them with the JSONL exports.

Usage: python3 .ci/datapackage-check.py DIR

DIR holds records/, details/ and files/, each with datapackage.json,
wilson.csv and wilson.jsonl. Every value is converted by its field's Table
Schema type (date, datetime, integer, string; a multi-valued string split by
the separator and escape its description names); missing values become None.
"""
import csv
import datetime
import json
import os
import re
import sys

root = sys.argv[1]


def split_list(s):
    return [re.sub(r"\\(.)", r"\1", v, flags=re.S) for v in s.split(" | ")]


def convert(field, v, missing):
    if v in missing:
        return None
    t = field["type"]
    if t == "date":
        return datetime.date.fromisoformat(v)
    if t == "datetime":
        if not v.endswith("Z"):
            raise ValueError("datetime %r is not UTC" % v)
        return datetime.datetime.fromisoformat(v[:-1] + "+00:00")
    if t == "integer":
        return int(v)
    if t == "string":
        if '" | "' in field.get("description", "") and "multi-valued" in field["description"]:
            return split_list(v)
        return v
    raise ValueError("type %s" % t)


def from_json(field, v):
    """A JSONL value in the same terms."""
    if v is None:
        return None
    t = field["type"]
    if t == "date":
        return datetime.date.fromisoformat(v)
    if t == "datetime":
        return datetime.datetime.fromisoformat(v[:-1] + "+00:00")
    return v


failures = 0
for kind in ("records", "details", "files"):
    d = os.path.join(root, kind)
    pkg = json.load(open(os.path.join(d, "datapackage.json"), encoding="utf-8"))
    res = pkg["resources"][0]
    schema = res["schema"]
    fields = schema["fields"]
    missing = set(schema.get("missingValues", [""]))
    dialect = res["dialect"]
    with open(os.path.join(d, res["path"]), newline="", encoding=res["encoding"]) as f:
        reader = csv.reader(f, delimiter=dialect["delimiter"], quotechar=dialect["quoteChar"], doublequote=dialect["doubleQuote"])
        header = next(reader)
        if header != [fl["name"] for fl in fields]:
            print("%s: header %s is not the schema's fields" % (kind, header))
            failures += 1
        typed = []
        for n, row in enumerate(reader, 2):
            try:
                typed.append([convert(fl, v, missing) for fl, v in zip(fields, row)])
            except ValueError as e:
                print("%s: line %d: %s" % (kind, n, e))
                failures += 1
    with open(os.path.join(d, "wilson.jsonl"), encoding="utf-8") as f:
        objs = [json.loads(l) for l in f]
    want = [[from_json(fl, o[fl["name"]]) for fl in fields] for o in objs]
    if typed != want:
        for a, b in zip(typed, want):
            if a != b:
                print("%s: the typed CSV row\n  %r\ndiffers from the JSONL's\n  %r" % (kind, a, b))
        failures += 1
    types = sorted({fl["type"] for fl in fields})
    print("%s: %d rows, %d fields (%s) read typed" % (kind, len(typed), len(fields), ", ".join(types)))

if failures:
    sys.exit("datapackage check: %d failures" % failures)
print("datapackage check: every CSV reads typed through its datapackage.json, equal to the JSONL")
