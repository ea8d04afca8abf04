"""The project configuration, read from `config.yaml` at the project root.

Configuration is loaded once and passed down the pipeline as a frozen value; no stage
reads it from a global.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, field_validator

from generator.addresses import AddressError, checked_url
from generator.errors import BriefingError, Location, Problem, relative_name
from generator.model import Name, Record, Text, web_address
from generator.textfile import YAML_LIMIT, read_text
from generator.validate import validate_document
from generator.yamlfile import parse_yaml

DEFAULT_TRAILERS = (
    r"Leave a Reply\.?",
    r"Leave a Comment\.?",
    r"Deja una respuesta\.?",
    r"Tu dirección de correo electrónico no será publicada\.?.*",
    r"Your email address will not be published\.?.*",
)


BASE_URL_PATTERN = r"^https?://[^\s/?#]+(/[^\s?#]*)?$"
#: Where `briefing serve` previews the site; the base URL until one is configured.
LOCAL_BASE_URL = "http://127.0.0.1:8000/"


class SiteConfig(Record):
    """Keys of `config.yaml`."""

    title: Name = Field(description="The briefing's title, shown on every page.")
    description: Text = Field(description="One or two sentences: what the briefing covers.")
    base_url: Annotated[str, StringConstraints(pattern=BASE_URL_PATTERN), AfterValidator(web_address)] = (
        Field(
            default=LOCAL_BASE_URL,
            description="Where the site is published, e.g. `https://user.github.io/repo/`; used only "
            "for absolute URLs (canonical links, feed, sitemap, social cards). Internal links are relative.",
        )
    )
    cname: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")] | None = Field(
        default=None,
        description="A custom domain for GitHub Pages, e.g. `briefing.example.org`; writes CNAME.",
    )
    author: Text | None = Field(
        default=None, description="Who keeps the briefing; shown in the footer and feed."
    )
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(?:-[A-Za-z0-9]+)*$")] = Field(
        default="en", description="Language code of the pages, e.g. `en`."
    )
    content_dir: Text = Field(default="content", description="Folder of the content, relative to this file.")
    output_dir: Text = Field(default="site", description="Where the site is built, relative to this file.")
    templates_dir: Text = Field(default="templates", description="Folder of the templates and static/ files.")
    feed_limit: int = Field(
        default=50, ge=0, description="How many of the newest dated entries the Atom feed carries; 0 for all."
    )
    trailer_patterns: tuple[Text, ...] = Field(
        default=DEFAULT_TRAILERS,
        description="Regular expressions; a source body is cut from the first whole line that "
        "matches one (comment forms pasted with the article).",
    )

    @field_validator("trailer_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for number, pattern in enumerate(patterns, start=1):
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"item {number} is not a regular expression: {error}") from None
        return patterns


@dataclass(frozen=True)
class Config:
    """The configuration with its paths resolved against the project root."""

    site: SiteConfig
    root: Path
    config_file: Path
    content_dir: Path
    output_dir: Path
    templates_dir: Path


def load_config(
    path: Path,
    content_dir: Path | None = None,
    output_dir: Path | None = None,
    base_url: str | None = None,
) -> Config:
    """Read and check `config.yaml`; command-line options override its paths."""
    root = path.resolve().parent
    name = relative_name(path, Path.cwd())
    if not path.is_file():
        raise BriefingError(
            [
                Problem(
                    Location(name),
                    "configuration file not found",
                    "run briefing from the project root, or pass --config PATH",
                    code="BRF032",
                )
            ]
        )
    text, problems = read_text(str(path), name, YAML_LIMIT)
    if text is None:
        raise BriefingError(problems)
    document, problems = parse_yaml(text, name)
    site = None
    if document is not None and not problems:
        site, problems = validate_document(SiteConfig, document)
    if site is None or problems:
        raise BriefingError(problems)
    if base_url is not None:
        hint = "give the full address the site is published at, e.g. https://user.github.io/repo/"
        if not re.match(BASE_URL_PATTERN, base_url):
            raise BriefingError(
                [Problem(Location("--base-url"), f"{base_url!r} is not an http(s) URL", hint, code="BRF018")]
            )
        try:
            base_url = checked_url(base_url)
        except AddressError as error:
            where = Location("--base-url")
            raise BriefingError(
                [Problem(where, f"{base_url!r} is refused: {error}", hint, code="BRF018")]
            ) from None
        site = site.model_copy(update={"base_url": base_url})
    if not site.base_url.endswith("/"):  # a folder: relative URLs resolve inside it
        site = site.model_copy(update={"base_url": site.base_url + "/"})
    return Config(
        site=site,
        root=root,
        config_file=path.resolve(),
        content_dir=(content_dir or root / site.content_dir).resolve(),
        output_dir=(output_dir or root / site.output_dir).absolute(),
        templates_dir=(root / site.templates_dir).resolve(),
    )
