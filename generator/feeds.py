"""Discovery files: the Atom feed, the sitemap, robots.txt and CNAME.

These are the only outputs (with canonical links and social-card tags) that use the
absolute `base_url`. Feed dates come from the content (`updated`, a summit's dates, a
source's publication date), never from the clock, so the same content gives the same
bytes; entries with no date at all are left out of the feed.
"""

from __future__ import annotations

import datetime as dt
import heapq
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from generator.link import LinkedSite
from generator.urls import absolute_url, page_path

FEED = "feed.xml"
SITEMAP = "sitemap.xml"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@dataclass(frozen=True)
class FeedEntry:
    """One dated entry of the feed."""

    url: str
    title: str
    summary: str
    updated: dt.date
    published: dt.date | None
    kind: str


def feed_entries(site: LinkedSite) -> list[FeedEntry]:
    """The newest summaries and sources with a date (`feed_limit` of them), newest first,
    then by title."""
    base = site.config.base_url
    # (sort key, kind, record): the entries themselves are made for the chosen ones only.
    dated: list[tuple[tuple[int, str, str], str, Any]] = []

    def add(kind: str, ident: str, title: str, when: dt.date | None, record: Any) -> None:
        if when is not None:
            url = absolute_url(base, page_path(kind, ident))
            dated.append(((-when.toordinal(), title, url), kind, record))

    for summit in site.summits:
        add("summit", summit.id, summit.name, summit.updated or summit.end or summit.start, summit)
    for proposal in site.proposals:
        add("proposal", proposal.id, proposal.title, proposal.updated, proposal)
    for person in site.stakeholders:
        add("stakeholder", person.id, person.name, person.updated, person)
    for source in site.sources:
        add("source", source.meta.id, source.meta.title, source.meta.updated or source.meta.date, source.meta)
    limit = site.config.feed_limit
    chosen = heapq.nsmallest(limit, dated, key=_key) if limit else sorted(dated, key=_key)
    return [_entry(key, kind, record) for key, kind, record in chosen]


def _key(item: tuple[tuple[int, str, str], str, Any]) -> tuple[int, str, str]:
    return item[0]


def _entry(key: tuple[int, str, str], kind: str, record: Any) -> FeedEntry:
    updated = dt.date.fromordinal(-key[0])
    title, url = key[1], key[2]
    if kind == "summit":
        summary = record.outcome or _first_claim(record.summary)
        return FeedEntry(url, title, summary, updated, record.start, kind)
    if kind == "proposal":
        return FeedEntry(url, title, _first_claim(record.summary), updated, None, kind)
    if kind == "stakeholder":
        return FeedEntry(url, title, record.role or _first_claim(record.summary), updated, None, kind)
    byline = ", ".join(part for part in (record.kind, record.author, record.publisher) if part)
    return FeedEntry(url, title, f"Source: {byline}", updated, record.date, kind)


def _first_claim(claims: Iterable[object]) -> str:
    for claim in claims:
        return str(getattr(claim, "text", ""))
    return ""


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=dt.timezone.utc)


def render_feed(site: LinkedSite, entries: list[FeedEntry]) -> bytes:
    """The Atom feed of `entries` (see `feed_entries`)."""
    config = site.config
    from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]  # loaded only to render the feed

    feed = FeedGenerator()
    feed.id(config.base_url)
    feed.title(config.title)
    feed.subtitle(config.description)
    feed.link(href=config.base_url, rel="alternate")
    feed.link(href=absolute_url(config.base_url, FEED), rel="self")
    feed.language(config.language)
    if config.author:
        feed.author({"name": config.author})
    feed.generator("briefing")
    newest = max((e.updated for e in entries), default=dt.date(1970, 1, 1))
    feed.updated(_moment(newest))
    for entry in entries:
        item = feed.add_entry(order="append")
        item.id(entry.url)
        item.title(entry.title)
        item.link(href=entry.url, rel="alternate")
        item.updated(_moment(entry.updated))
        if entry.published is not None:
            item.published(_moment(entry.published))
        item.summary(entry.summary or entry.title)
        item.category(term=entry.kind)
    return bytes(feed.atom_str(pretty=True))


def render_sitemap(site: LinkedSite, pages: Iterable[str]) -> bytes:
    """sitemap.xml listing every page (output files ending in index.html) at its pretty URL."""
    ET.register_namespace("", SITEMAP_NS)
    urlset = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for path in sorted(pages):
        if path == "index.html" or path.endswith("/index.html"):
            url = ET.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
            ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = absolute_url(
                site.config.base_url, path.removesuffix("index.html")
            )
    ET.indent(urlset)
    return bytes(ET.tostring(urlset, encoding="utf-8", xml_declaration=True)) + b"\n"


def render_robots(site: LinkedSite) -> bytes:
    return f"User-agent: *\nAllow: /\nSitemap: {absolute_url(site.config.base_url, SITEMAP)}\n".encode()


def render_cname(site: LinkedSite) -> bytes:
    return f"{site.config.cname}\n".encode()
