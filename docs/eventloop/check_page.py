#!/usr/bin/python3
"""docs/eventloop.md shows the programs of docs/eventloop/ as they are: each line
"<!-- example: eventloop/NAME -->" is followed by a fenced block holding exactly docs/eventloop/NAME.
Exit 1 naming the stale block (ctest: docs_eventloop_fresh). To refresh, paste the file into the block."""
import os
import re
import sys

DOCS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
page = os.path.join(DOCS, "eventloop.md")
lines = open(page, encoding="utf-8").read().split("\n")
bad = 0
seen = 0
for i, line in enumerate(lines):
    m = re.match(r"^<!--\s*example:\s*(\S+)\s*-->$", line)
    if not m:
        continue
    seen += 1
    want = open(os.path.join(DOCS, m.group(1)), encoding="utf-8").read().rstrip("\n").split("\n")
    if i + 1 >= len(lines) or not lines[i + 1].startswith("```"):
        print("%s:%d: no code block after the marker" % (page, i + 1))
        bad += 1
        continue
    end = lines.index("```", i + 2)
    if lines[i + 2:end] != want:
        print("%s:%d: the block differs from docs/%s" % (page, i + 2, m.group(1)))
        bad += 1
if seen == 0:
    print("%s: no example markers" % page)
    bad += 1
sys.exit(1 if bad else 0)
