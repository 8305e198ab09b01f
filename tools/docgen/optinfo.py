"""The socket options as the documentation shows them: facts from the option table (through the
tools/docgen/optdump program, which prints src/core/option_table.c's rows and the defaults zmq_getsockopt
reads) and prose from docs/man/socket-options.md. Used by tools/gen-manual (docs/manual/options.md) and
tools/gen-man (the options of zmq_setsockopt(3) and zmq_getsockopt(3)).

docs/man/socket-options.md has one "## ZMQ_NAME" section per option: its description, and, first in the
section, the facts the table cannot give: "Type:" (options the table handles with code of their own) and
"Default:" (options it does not store: the socket type's and the mechanisms' own). Every row needs a
section and every section a row; a fact given twice (table and prose) is an error, so neither can drift.
"""
import re
import subprocess

FIELDS = ["name", "id", "kind", "access", "mech", "types", "min", "max", "dflt", "measured", "mech_ok", "note"]
INT_MAX = 2 ** 31 - 1
INT_MIN = -2 ** 31
KIND_TYPE = {"int": "int", "flag": "int (0 or 1)", "int64": "int64_t", "uint64": "uint64_t",
             "string": "string", "bytes": "binary"}


class Error(Exception):
    pass


def load_rows(optdump=None, tsv=None):
    text = subprocess.run([optdump], capture_output=True, text=True, check=True).stdout if optdump \
        else open(tsv, encoding="utf-8").read()
    rows = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) != len(FIELDS):
            raise Error("optdump: bad line %r" % line)
        row = dict(zip(FIELDS, parts))
        for k in ("id", "min", "max", "dflt"):
            row[k] = int(row[k])
        rows.append(row)
    return rows


def load_notes(path):
    """{name: {"type": str|None, "default": str|None, "text": [paragraph lines]}} from socket-options.md."""
    notes = {}
    current = None
    for line in open(path, encoding="utf-8").read().splitlines():
        m = re.match(r"^##\s+(ZMQ_\w+)\s*$", line)
        if m:
            if m.group(1) in notes:
                raise Error("%s: %s twice" % (path, m.group(1)))
            current = notes[m.group(1)] = {"type": None, "default": None, "text": []}
            continue
        if current is None:
            continue
        m = re.match(r"^(Type|Default):\s*(.+)$", line)
        if m and not any(t.strip() for t in current["text"]):
            current[m.group(1).lower()] = m.group(2).strip()
            continue
        current["text"].append(line)
    for n in notes.values():
        while n["text"] and not n["text"][0].strip():
            n["text"].pop(0)
        while n["text"] and not n["text"][-1].strip():
            n["text"].pop()
    return notes


def _num(v):
    return {INT_MAX: "INT_MAX", INT_MIN: "INT_MIN"}.get(v, str(v))


def _type(row, note):
    if row["kind"] == "custom":
        if not note["type"]:
            raise Error("%s: the table handles it in code; docs/man/socket-options.md must give its Type:" % row["name"])
        return note["type"]
    if note["type"]:
        raise Error("%s: Type: given, but the table says %s" % (row["name"], row["kind"]))
    if row["name"] in ("ZMQ_FD",):
        return "int (a file descriptor)"
    return KIND_TYPE[row["kind"]]


def _range(row, typ):
    kind = row["kind"]
    if row["access"] == "get":
        return "read only"
    if kind in ("int64", "uint64"):
        return "any"
    if kind == "bytes":
        return "any bytes"
    if kind == "flag" and row["min"] == INT_MIN:
        return "any int (read back as 0 or 1)"
    if kind == "int" and row["min"] == INT_MIN and row["max"] == INT_MAX:
        return "any int"
    if row["min"] == 0 and row["max"] == 0:
        return "see description"
    lo, hi = _num(row["min"]), _num(row["max"])
    if kind == "string" or (kind == "custom" and not typ.startswith("int")):
        return "%s..%s bytes" % (lo, hi)
    return "%s..%s" % (lo, hi)


def _default(row, note):
    """The default: from the table (numbers and strings it stores), measured (options with code of their own
    that read back as an int), or from the prose (the socket types' and mechanisms' own options)."""
    kind = row["kind"]
    fixed = None
    if row["access"] == "get" and kind != "custom":
        fixed = "-"                                   # socket state, not a setting
    elif kind in ("int", "flag", "int64", "uint64") and row["types"] == "all":
        fixed = str(row["dflt"])
    elif kind == "string":
        fixed = "empty"
    elif kind == "custom" and row["measured"] != "-" and row["mech"] in ("NULL", "PLAIN"):
        fixed = row["measured"]
    if fixed is not None:
        if note["default"]:
            raise Error("%s: Default: given, but the table says %s" % (row["name"], fixed))
        return fixed
    if not note["default"]:
        raise Error("%s: the table keeps no default; docs/man/socket-options.md must give its Default:" % row["name"])
    return note["default"]


def _sockets(row):
    return "all" if row["types"] == "all" else ", ".join(row["types"].split(","))


def _access(row):
    a = {"set,get": "set, get", "set": "set only", "get": "get only"}[row["access"]]
    if row["mech"] == "GSSAPI":
        a += "; not available (GSSAPI is not implemented: EINVAL)"
    elif row["mech"] == "CURVE":
        a += "; needs a build with libsodium"
    return a


def options(rows, notes):
    """The rendered facts of every option, in option number order."""
    names = {r["name"] for r in rows}
    extra = sorted(set(notes) - names)
    if extra:
        raise Error("docs/man/socket-options.md describes options the table does not have: " + ", ".join(extra))
    out = []
    for r in rows:
        note = notes.get(r["name"])
        if note is None:
            raise Error("%s: no section in docs/man/socket-options.md" % r["name"])
        if not any(t.strip() for t in note["text"]):
            raise Error("%s: empty description in docs/man/socket-options.md" % r["name"])
        typ = _type(r, note)
        out.append({"name": r["name"], "id": r["id"], "type": typ, "default": _default(r, note),
                    "range": _range(r, typ), "access": _access(r), "sockets": _sockets(r),
                    "settable": "set" in r["access"], "readable": "get" in r["access"],
                    "draft": r["note"].startswith("draft"), "note": r["note"], "text": note["text"]})
    return out


def facts_line(o):
    return "Type %s; default %s; range %s; %s; socket types: %s." % (
        "`%s`" % o["type"], o["default"], o["range"], o["access"], o["sockets"])


def markdown_sections(opts, level="###", which=None):
    """One Markdown section per option: facts, then the description (for the man pages and options.md)."""
    out = []
    for o in opts:
        if which == "set" and not o["settable"] or which == "get" and not o["readable"]:
            continue
        out += ["%s %s" % (level, o["name"]), "", facts_line(o), ""] + o["text"] + [""]
    return out
