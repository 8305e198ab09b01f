"""Turns a restricted Markdown page into a man page (roff, man macros), for tools/gen-man.

What it understands, which is what docs/man/*.md and docs/zinc.md use:
  - a first line "# NAME(SECTION) - description" (an em dash or " - "); NAME and SECTION may instead come
    from the caller, and a page that has its own "## NAME" section keeps it
  - "## Heading" (a section, printed upper case) and "### Heading" (a subsection)
  - paragraphs; fenced code blocks (```); lists ("- ", "* ", "1. ", continuation lines indented)
  - tables (| a | b |): rendered as tagged paragraphs, the first cell the tag, so no tbl is needed
  - inline `code` (bold), **bold**, *italic* or _italic_, [text](url) (relative .md links keep the text)
  - HTML comments: "<!-- aliases: f g -->" names more functions the page documents (NAME lists them, the
    caller writes a ".so" page for each); "<!-- generated: KEY -->" is replaced by the caller's Markdown
    for KEY; other comments are dropped
Anything outside ASCII is written as a groff \\[uXXXX] escape, so groff needs no preprocessor.
"""
import re


class Page:
    def __init__(self, name, section, description, aliases, body):
        self.name = name              # "zmq_bind"
        self.section = section        # "3"
        self.description = description
        self.aliases = aliases        # ["zmq_unbind", ...]
        self.body = body              # Markdown lines after the title


TITLE = re.compile(r"^#\s+(?P<names>[^()]+?)(?:\((?P<sec>\d\w*)\))?\s*(?:\u2014|\u2013|\s-\s|:)\s*(?P<desc>.+)$")


def _first_sentence(lines):
    """The first sentence of the first paragraph, for a NAME line."""
    para = []
    for line in lines:
        t = line.strip()
        if not t:
            if para:
                break
            continue
        if t.startswith(("#", "```", "<!--", "|", "-", "*")):
            if para:
                break
            continue
        para.append(t)
    text = re.sub(r"[`*_]", "", " ".join(para))
    m = re.match(r"^(.+?[.!?])(\s|$)", text)
    return (m.group(1) if m else text).rstrip(".")


def parse(text, name=None, section=None):
    """Splits a Markdown page into its title parts and body."""
    lines = text.splitlines()
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    desc = ""
    title_name = None
    title_sec = None
    if first < len(lines) and lines[first].startswith("# "):
        m = TITLE.match(lines[first].strip())
        if m:
            title_name = m.group("names").strip()
            title_sec = m.group("sec")
            desc = m.group("desc").strip()
        else:
            desc = lines[first][2:].strip()
            m = re.match(r"^([\w.+-]+)(?:\((\d\w*)\))?$", desc)
            if m:                       # "# zinc" or "# zinc(1)": the description is the first sentence
                title_name, title_sec, desc = m.group(1), m.group(2), _first_sentence(lines[first + 1:])
        first += 1
    aliases = []
    for line in lines:
        m = re.match(r"^<!--\s*aliases:\s*(.*?)\s*-->\s*$", line)
        if m:
            aliases += m.group(1).split()
    return Page(name or title_name, section or title_sec or "1", desc, aliases, lines[first:])


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def escape(text, code=False):
    """Escapes plain text for roff: backslashes, non-ASCII characters, and hyphens inside code."""
    text = text.replace("\\", "\\e")
    if code:
        text = text.replace("-", "\\-")
    return _NON_ASCII.sub(lambda m: "\\[u%04X]" % ord(m.group(0)), text)


def breakable(text, longer_than=24):
    """Lets groff break a long identifier or path after its separators (\\: is an invisible break point),
    so a narrow terminal never gets a line it cannot break."""
    if len(text) <= longer_than:
        return text
    return re.sub(r"([/_,|.])(?=[^\s])", r"\1\\:", text)


INLINE = re.compile(r"`([^`]+)`|\*\*(.+?)\*\*|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)|(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)"
                    r"|\[([^\]]+)\]\(([^)\s]+)\)|<(https?://[^>]+)>")


def inline(text):
    """Inline Markdown to roff font escapes."""
    out = []
    pos = 0
    for m in INLINE.finditer(text):
        out.append(escape(text[pos:m.start()]))
        code, bold, ital, ital2, ltext, url, auto = m.groups()
        if code is not None:
            out.append("\\fB" + breakable(escape(code, code=True)) + "\\fR")
        elif bold is not None:
            out.append("\\fB" + inline(bold) + "\\fR")
        elif ital is not None or ital2 is not None:
            out.append("\\fI" + inline(ital if ital is not None else ital2) + "\\fR")
        elif ltext is not None:
            out.append(inline(ltext))
            if re.match(r"^(https?|mailto):", url):
                out.append(" <" + breakable(escape(url)) + ">")
        else:
            out.append("<" + breakable(escape(auto)) + ">")
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def line_safe(text):
    """A roff text line may not start with a control character."""
    if text.startswith((".", "'")):
        return "\\&" + text
    return text


def _cells(row):
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row)]


def _is_rule(row):
    return bool(re.match(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", row))


LIST_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$")
TERM = re.compile(r"^(`[^`]+`(?:,\s*`[^`]+`)*):\s+(.*)$")


def _list_items(lines, i):
    """The items of the list starting at lines[i]: (indent, bullet, text), and the index after it."""
    items = []
    n = len(lines)
    while i < n:
        m = LIST_ITEM.match(lines[i])
        if not m:
            break
        text = [m.group(3)]
        i += 1
        while i < n and lines[i].strip() and not LIST_ITEM.match(lines[i]) and \
                (lines[i].startswith(" ") or not lines[i].lstrip().startswith(("#", "```", "|"))):
            text.append(lines[i].strip())
            i += 1
        items.append((len(m.group(1)), m.group(2), " ".join(text)))
        while i < n and not lines[i].strip() and i + 1 < n and LIST_ITEM.match(lines[i + 1]):
            i += 1
    return items, i


def body_to_roff(lines):
    """The page body (Markdown lines) as roff lines."""
    out = []
    i = 0
    n = len(lines)

    def para(text_lines):
        text = " ".join(t.strip() for t in text_lines)
        out.append(".PP")
        out.append(line_safe(inline(text)))

    while i < n:
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        if stripped.startswith("<!--"):
            while i < n and "-->" not in lines[i]:
                i += 1
            i += 1
            continue
        if stripped.startswith("```"):
            i += 1
            out += [".PP", ".RS 4", ".nf"]
            while i < n and not lines[i].strip().startswith("```"):
                out.append(line_safe(escape(lines[i].rstrip(), code=True)) if lines[i].strip() else "")
                i += 1
            i += 1
            out += [".fi", ".RE"]
            continue
        if stripped.startswith("#"):
            m = re.match(r"^(#+)\s+(.*?)\s*#*$", stripped)
            level, title = len(m.group(1)), m.group(2)
            if level <= 2:
                out.append('.SH "%s"' % inline(title).upper().replace('"', '\\(dq'))
            else:
                out.append('.SS "%s"' % inline(title).replace('"', '\\(dq'))
            i += 1
            continue
        if stripped.startswith("|") and i + 1 < n and _is_rule(lines[i + 1]):
            header = _cells(line)
            i += 2
            while i < n and lines[i].strip().startswith("|"):
                cells = _cells(lines[i])
                out.append(".TP")
                out.append(line_safe(inline(cells[0])))
                rest = []
                for h, c in zip(header[1:], cells[1:]):
                    if not c:
                        continue
                    rest.append(inline(c) if len(header) == 2 else "%s: %s" % (inline(h), inline(c)))
                out.append(line_safe(rest[0]) if rest else "\\&")
                for r in rest[1:]:
                    out.append(".br")
                    out.append(line_safe(r))
                i += 1
            continue
        m = LIST_ITEM.match(line)
        if m:
            items, i = _list_items(lines, i)
            tagged = all(it[1] in "-*+" and TERM.match(it[2]) for it in items)
            for indent, bullet, text in items:
                if tagged:
                    t = TERM.match(text)
                    out.append(".TP")
                    out.append(line_safe(inline(t.group(1))))
                    out.append(line_safe(inline(t.group(2))))
                    continue
                tag = "\\(bu" if bullet in "-*+" else bullet
                if indent:
                    out.append(".RS 2")
                out.append('.IP "%s" %d' % (tag, 2 if tag == "\\(bu" else 4))
                out.append(line_safe(inline(text)))
                if indent:
                    out.append(".RE")
            continue
        text = []
        while i < n and lines[i].strip() and not lines[i].strip().startswith(("```", "<!--")) and \
                not re.match(r"^#+\s", lines[i].strip()) and not LIST_ITEM.match(lines[i]) and \
                not (lines[i].strip().startswith("|") and i + 1 < n and _is_rule(lines[i + 1])):
            text.append(lines[i])
            i += 1
        para(text)
    return out


def to_roff(page, source, version, date, manual="zinc Manual"):
    """The whole man page for a parsed Page."""
    out = ['.\\" Generated by tools/gen-man from %s: edit that file, not this one.' % source,
           '.TH "%s" "%s" "%s" "zinc %s" "%s"' % (page.name.upper(), page.section, date, version, manual),
           ".nh", ".ad l"]                 # no hyphenation, ragged right: identifiers stay whole
    has_name = any(re.match(r"^##\s+NAME\s*$", l.strip(), re.I) for l in page.body)
    if not has_name:
        names = ", ".join([page.name] + page.aliases)
        out += [".SH NAME", "%s \\- %s" % (escape(names, code=True), inline(page.description))]
    body = page.body
    lead = [l for l in re.sub(r"<!--.*?-->", "", "\n".join(body), flags=re.S).splitlines() if l.strip()]
    if lead and not re.match(r"^##?\s", lead[0]):
        body = ["## DESCRIPTION", ""] + body      # text before the first section
    out += body_to_roff(body)
    return "\n".join(out) + "\n"
