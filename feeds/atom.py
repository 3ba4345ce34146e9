"""A small Atom 1.0 (RFC 4287) writer: plain data in, well-formed UTF-8 XML out.

Our own rather than django.utils.feedgenerator.Atom1Feed, which cannot give an entry its own
``xml:lang``, a category its ``scheme`` and ``label``, or a link its ``hreflang``.

Characters that XML 1.0 forbids (C0 controls other than tab, line feed and carriage return, lone
surrogates, U+FFFE and U+FFFF) are *removed* from every text and attribute: an editor's stray
control character must not make the whole feed unreadable, and it carries no meaning to keep.
"""

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.sax.saxutils import XMLGenerator

ATOM_NS = "http://www.w3.org/2005/Atom"
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value) -> str:
    """``value`` as text XML 1.0 can carry: forbidden characters removed."""
    return _FORBIDDEN.sub("", str(value))


def rfc3339(moment: datetime) -> str:
    """An RFC 3339 date-time in UTC, to the second ("2026-12-02T11:56:46Z")."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Category:
    term: str
    scheme: str
    label: str


@dataclass
class Link:
    href: str  # an absolute IRI
    rel: str = "alternate"
    type: str = "text/html"
    hreflang: str = ""


@dataclass
class Entry:
    id: str
    title: str
    link: Link
    published: datetime
    updated: datetime
    author: str
    language: str  # of the entry's text (xml:lang)
    summary: str = ""
    categories: list[Category] = field(default_factory=list)


@dataclass
class Feed:
    id: str
    title: str
    subtitle: str
    language: str
    self_link: str
    alternate: Link
    updated: datetime
    rights: str
    author: str
    author_uri: str
    entries: list[Entry] = field(default_factory=list)


class _Writer:
    def __init__(self):
        self.out = io.BytesIO()
        self.xml = XMLGenerator(self.out, encoding="utf-8", short_empty_elements=True)

    def element(self, name, text=None, **attributes):
        self.xml.startElement(name, _attributes(attributes))
        if text is not None:
            self.xml.characters(xml_text(text))
        self.xml.endElement(name)

    def start(self, name, **attributes):
        self.xml.startElement(name, _attributes(attributes))

    def end(self, name):
        self.xml.endElement(name)

    def link(self, link: Link):
        self.element("link", rel=link.rel, type=link.type, href=link.href, hreflang=link.hreflang)

    def author(self, name, uri=""):
        self.start("author")
        self.element("name", name)
        if uri:
            self.element("uri", uri)
        self.end("author")


def _attributes(attributes: dict) -> dict:
    """Empty attributes are left out; ``xml_lang`` is written ``xml:lang``."""
    return {name.replace("xml_", "xml:"): xml_text(value) for name, value in attributes.items() if value}


def render(feed: Feed) -> bytes:
    writer = _Writer()
    writer.xml.startDocument()
    writer.start("feed", xmlns=ATOM_NS, xml_lang=feed.language)
    writer.element("id", feed.id)
    writer.element("title", feed.title, type="text")
    writer.element("subtitle", feed.subtitle, type="text")
    writer.link(Link(feed.self_link, rel="self", type="application/atom+xml"))
    writer.link(feed.alternate)
    writer.element("updated", rfc3339(feed.updated))
    writer.element("rights", feed.rights, type="text")
    writer.author(feed.author, feed.author_uri)
    for entry in feed.entries:
        writer.start("entry", xml_lang=entry.language)
        writer.element("id", entry.id)
        writer.element("title", entry.title, type="text")
        writer.link(entry.link)
        writer.element("published", rfc3339(entry.published))
        writer.element("updated", rfc3339(entry.updated))
        writer.author(entry.author)
        for category in entry.categories:
            writer.element("category", term=category.term, scheme=category.scheme, label=category.label)
        if xml_text(entry.summary).strip():
            writer.element("summary", entry.summary, type="text")
        writer.end("entry")
    writer.end("feed")
    writer.xml.endDocument()
    return writer.out.getvalue()
