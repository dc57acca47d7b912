"""A booklet's HTML (``booklet.html`` as the theme renders it) as a Typst document, for Typst to lay out.

The HTML stays the one source of the booklet's words: the easy-read page's own content blocks, the cover and
the help page. This module only says how each element is set: a heading is a Typst heading, a paragraph a
paragraph, a point (``er-point``) a picture 50 mm wide on the left of its words, a list a list, a link a link.
Every piece of text goes in as a Typst string, so nothing in the data is ever read as Typst markup. The page,
the font and the sizes are the theme's ``booklet.typ``, which comes first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePosixPath

import lxml.etree
import lxml.html

from ..problems import BuildError

ICON_FOLDER = "/icons/"  # where the pictures are, below the Typst root


@dataclass(frozen=True)
class TypstDocument:
    source: str  # the Typst markup, the theme's booklet.typ first
    date: dt.date  # the date of the data: the PDF's creation date
    title: str = ""  # the document's title (booklet.html's <title>), which a PDF viewer shows


def typst_document(html: str, style: str) -> TypstDocument:
    """The booklet (``booklet.html``: a cover, the body, the help page) as one Typst document."""
    tree = lxml.html.document_fromstring(html)
    meta = {m.get("name"): m.get("content") or "" for m in tree.iter("meta") if m.get("name")}
    date = dt.date.fromisoformat(meta["dcterms.created"])
    found = classed(tree, "cover", "booklet-body", "help", "cover__part", "words-to-know")
    cover, body, help_page = (_one(found, name) for name in ("cover", "booklet-body", "help"))
    part = [e for e in found["cover__part"] if cover in e.iterancestors()]
    settings = {
        "title": (tree.findtext(".//title") or "").strip(),
        "author": meta.get("author", ""),
        "description": meta.get("description", ""),
        "keywords": meta.get("keywords", ""),
        "date": date.isoformat(),
        "part": part[0].text_content().strip() if part else "",
    }
    words = [e for e in found["words-to-know"] if body in e.iterancestors()]
    for element in words:
        element.getparent().remove(element)
    picture = next(cover.iter("img"))
    source = [f"#let booklet = {_dictionary(settings)}", style.strip(), "",
              f"#cover-picture({_picture(picture)})",
              f"#heading(level: 1, cover-title[{_inline(cover.find('h1'))}])"]
    source += [f"#cover-words[{_inline(p)}]" for p in cover.findall("p")]
    source += ["#pagebreak()", _blocks(body)]
    for element in words:
        source += ["#pagebreak()", _blocks(element)]
    source += ["#pagebreak()", _blocks(help_page)]
    return TypstDocument("\n".join(source) + "\n", date, " ".join(settings["title"].split()))


_CLASSED = lxml.etree.XPath("descendant-or-self::*[@class]")


def classed(element, *names: str) -> dict[str, list]:
    """The elements below ``element`` (and it) of each class in ``names``, in document order, from one walk
    (``find_class`` walks the whole tree for each class)."""
    found: dict[str, list] = {name: [] for name in names}
    for candidate in _CLASSED(element):
        for name in candidate.get("class").split():
            if name in found:
                found[name].append(candidate)
    return found


def _one(found: dict[str, list], name: str):
    if len(found[name]) != 1:
        raise BuildError(f"the theme's booklet.html has {len(found[name])} elements of class \"{name}\" (it needs "
                         "one): start again from the packaged theme's booklet.html.")
    return found[name][0]


def _dictionary(values: dict[str, str]) -> str:
    return "(" + ", ".join(f"{key}: {_string(value)}" for key, value in values.items()) + ")"


_ESCAPES = {**{code: f"\\u{{{code:x}}}" for code in range(32)}, ord("\\"): "\\\\", ord('"'): '\\"',
            ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}


def _string(text: str) -> str:
    """A Typst string: a backslash and a quote escaped, a control character as Typst's \\u{..}."""
    return f'"{text.translate(_ESCAPES)}"'


def _text(text: str | None) -> str:
    """Words as text, never markup: a string in code mode. Runs of white space are one space, as in HTML."""
    if not text:
        return ""
    words = " ".join(text.split())
    if not words:
        return " " if text else ""
    lead = " " if text[0].isspace() else ""
    trail = " " if text[-1].isspace() else ""
    return f"#{_string(lead + words + trail)}"


def _picture(img) -> str:
    name = PurePosixPath(img.get("src", "")).name
    return f"image({_string(ICON_FOLDER + name)}, width: 100%, alt: {_string(img.get('alt', ''))})"


def _inline(element) -> str:
    """An element's words and inline children, as Typst content."""
    out = _text(element.text)
    for child in element:
        out += _inline_element(child) + _text(child.tail)
    return out


def _inline_element(element) -> str:
    tag, classes = element.tag, element.get("class", "").split()
    if not isinstance(tag, str):  # a comment
        return ""
    if tag == "a":
        return f"#link({_string(element.get('href', ''))})[{_inline(element)}]"
    if tag in ("strong", "b"):
        return f"#strong[{_inline(element)}]"
    if tag == "br":
        return "#linebreak()"
    if tag == "img":
        return f"#box(width: 50mm, {_picture(element)})"
    if "continued__words" in classes:
        return f"#continued[{_inline(element)}]"
    if "nowrap" in classes:
        return f"#box[{_inline(element)}]"
    return _inline(element)


BLOCKS = {"p", "div", "section", "ul", "ol", "li", "h1", "h2", "h3", "h4", "dl", "dt", "dd", "table", "details"}


def _blocks(element) -> str:
    """An element's children as blocks: loose words become a paragraph of their own."""
    out = []
    if element.text and element.text.strip():
        out.append(f"#par[{_text(element.text.strip())}]")
    for child in element:
        out.append(_block(child))
        if child.tail and child.tail.strip():
            out.append(f"#par[{_text(child.tail.strip())}]")
    return "\n".join(o for o in out if o)


def _block(element) -> str:
    tag, classes = element.tag, element.get("class", "").split()
    if not isinstance(tag, str):
        return ""
    if tag in ("h1", "h2", "h3", "h4"):
        return f"#heading(level: {tag[1]})[{_inline(element)}]"
    if tag == "p":
        style = next((c for c in classes if c in ("credit", "address")), "")
        return f"#{style}[{_inline(element)}]" if style else f"#par[{_inline(element)}]"
    if tag in ("ul", "ol"):
        items = ", ".join(f"[{_item(li)}]" for li in element if li.tag == "li")
        return f"#{'list' if tag == 'ul' else 'enum'}({items})"
    if "er-point" in classes:
        picture = next(element.iter("img"), None)
        words = classed(element, "er-point__words")["er-point__words"]
        if picture is None or not words:
            raise BuildError("the theme's booklet has a point (class \"er-point\") without its picture or its words "
                             "(class \"er-point__words\"): start again from the packaged theme's er_point macro.")
        return f"#point({_picture(picture)}, [{_blocks(words[0])}])"
    if tag in ("img",):
        return f"#block({_picture(element)})"
    if tag not in BLOCKS and not any(isinstance(c.tag, str) and c.tag in BLOCKS for c in element):
        return f"#par[{_inline(element)}]"
    return _blocks(element)


def _item(li) -> str:
    """A list item: its words inline (one paragraph, read as one item), or its blocks."""
    if any(isinstance(c.tag, str) and c.tag in BLOCKS for c in li):
        return _blocks(li)
    return _inline(li).strip()
