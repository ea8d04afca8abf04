"""Discovery files: the Atom feed, the sitemap, robots.txt and CNAME.

These are the only outputs (with canonical links and social-card tags) that use the
absolute `base_url`. Feed dates come from the content (`updated`, a summit's dates, a
source's publication date), never from the clock, so the same content gives the same
bytes; entries with no date at all are left out of the feed.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from feedgen.feed import FeedGenerator

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
    entries: list[FeedEntry] = []
    for summit in site.summits:
        when = summit.updated or summit.end or summit.start
        if when is not None:
            text = summit.outcome or _first_claim(summit.summary)
            entries.append(
                FeedEntry(
                    absolute_url(base, page_path("summit", summit.id)),
                    summit.name,
                    text,
                    when,
                    summit.start,
                    "summit",
                )
            )
    for proposal in site.proposals:
        if proposal.updated is not None:
            entries.append(
                FeedEntry(
                    absolute_url(base, page_path("proposal", proposal.id)),
                    proposal.title,
                    _first_claim(proposal.summary),
                    proposal.updated,
                    None,
                    "proposal",
                )
            )
    for person in site.stakeholders:
        if person.updated is not None:
            entries.append(
                FeedEntry(
                    absolute_url(base, page_path("stakeholder", person.id)),
                    person.name,
                    person.role or _first_claim(person.summary),
                    person.updated,
                    None,
                    "stakeholder",
                )
            )
    for source in site.sources:
        meta = source.meta
        when = meta.updated or meta.date
        if when is not None:
            byline = ", ".join(part for part in (meta.kind, meta.author, meta.publisher) if part)
            entries.append(
                FeedEntry(
                    absolute_url(base, page_path("source", meta.id)),
                    meta.title,
                    f"Source: {byline}",
                    when,
                    meta.date,
                    "source",
                )
            )
    entries.sort(key=lambda e: (-e.updated.toordinal(), e.title, e.url))
    limit = site.config.feed_limit
    return entries[:limit] if limit else entries


def _first_claim(claims: Iterable[object]) -> str:
    for claim in claims:
        return str(getattr(claim, "text", ""))
    return ""


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=dt.timezone.utc)


def render_feed(site: LinkedSite, entries: list[FeedEntry]) -> bytes:
    """The Atom feed of `entries` (see `feed_entries`)."""
    config = site.config
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
    return ET.tostring(urlset, encoding="utf-8", xml_declaration=True) + b"\n"


def render_robots(site: LinkedSite) -> bytes:
    return f"User-agent: *\nAllow: /\nSitemap: {absolute_url(site.config.base_url, SITEMAP)}\n".encode()


def render_cname(site: LinkedSite) -> bytes:
    return f"{site.config.cname}\n".encode()
