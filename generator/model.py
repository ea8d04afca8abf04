"""The content model: one schema per YAML kind, validated with pydantic.

These models are the single definition of what a briefing file may contain. Every
model forbids unknown keys, so a misspelt key is reported instead of silently ignored,
and every model is frozen, so later stages can share them without copying.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from generator.addresses import AddressError, checked_url

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80),
    Field(description="Lower-case letters, digits and single hyphens, e.g. `hanoi-2019`."),
]
#: The longest name, alias or title: any headline fits, a paragraph pasted by mistake does not.
NAME_LIMIT = 300
#: The longest other text (a claim, a quote, an outcome): several paragraphs.
TEXT_LIMIT = 10_000
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_LIMIT)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_LIMIT)]


def web_address(url: str) -> str:
    """An address's checked form (see `generator.addresses`), as a pydantic validator."""
    try:
        return checked_url(url)
    except AddressError as error:
        raise PydanticCustomError("url_host", "{reason}", {"reason": str(error)}) from None


#: An http(s) address, its host checked and written in ASCII (see `generator.addresses`).
WebUrl = Annotated[
    str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000), AfterValidator(web_address)
]


class InlineMarkdown:
    """Marks a text field as inline Markdown (rendered, and its links checked)."""


Markdown = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_LIMIT),
    InlineMarkdown(),
    Field(description="Inline Markdown: emphasis and http(s)/mailto links; raw HTML is shown as text."),
]


class Record(BaseModel):
    """Base of every content model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Citation(Record):
    """A verbatim quote from a source that supports a claim."""

    source: Slug = Field(description="Id of the cited source.")
    quote: Text = Field(
        description="Words copied from one paragraph, list or table of the source. Whitespace, "
        "curly quotes and dashes are normalised before matching."
    )


class Claim(Record):
    """A statement of the summary's author, backed by citations."""

    text: Markdown = Field(description="The claim, in inline Markdown.")
    cite: tuple[Citation, ...] = Field(default=(), description="Evidence for the claim.")


class ProposalOnTable(Record):
    """A proposal as it came up at one summit."""

    proposal: Slug = Field(description="Id of the proposal.")
    text: Markdown = Field(description="What happened to the proposal at this summit.")
    cite: tuple[Citation, ...] = ()


SummitStatus = Literal["held", "prospective", "cancelled"]
SummitKind = Literal["summit", "meeting"]


class Summit(Record):
    """A summit or meeting, held or prospective."""

    id: Slug
    name: Name = Field(description="The summit's name as readers know it, e.g. `Hanoi summit`.")
    aliases: tuple[Name, ...] = Field(
        default=(), description="Other names; mentions in sources link here, e.g. `Hanoi summit`."
    )
    kind: SummitKind = Field(default="summit", description="A full summit, or a shorter meeting.")
    status: SummitStatus = Field(description="Whether it took place, is planned or was called off.")
    start: dt.date | None = Field(default=None, description="First day (YYYY-MM-DD); empty if unknown.")
    end: dt.date | None = Field(default=None, description="Last day; empty for a one-day meeting.")
    duration: Name | None = Field(default=None, description="How long it lasted, e.g. `two days`.")
    place: Name | None = Field(default=None, description="City and country, e.g. `Hanoi, Vietnam`.")
    participants: tuple[Slug, ...] = Field(default=(), description="Stakeholder ids.")
    outcome: Text | None = Field(default=None, description="One line: how it ended.")
    summary: tuple[Claim, ...] = Field(default=(), description="What happened, paragraph by paragraph.")
    key_outcomes: tuple[Claim, ...] = ()
    lessons: tuple[Claim, ...] = ()
    proposals: tuple[ProposalOnTable, ...] = Field(default=(), description="Proposals on the table.")
    updated: dt.date | None = Field(
        default=None, description="When the desk last revised this entry (YYYY-MM-DD); dates it in the feed."
    )

    @field_validator("end")
    @classmethod
    def _end_not_before_start(cls, end: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("start")
        if end is not None and start is not None and end < start:
            raise PydanticCustomError(
                "date_order", "{end} is before the start date {start}", {"end": end, "start": start}
            )
        return end


ProposalCategory = Literal[
    "denuclearization",
    "sanctions-and-economy",
    "diplomatic",
    "security",
    "negotiating-process",
    "alliance",
    "humanitarian",
]
ProposalStatus = Literal["open", "agreed", "rejected", "implemented", "abandoned"]
Stance = Literal["supports", "opposes", "conditional", "mixed", "unclear"]


class Component(Record):
    """A component or phase of a proposal."""

    name: Name = Field(description="The component or phase, e.g. `Freeze`.")
    text: Markdown
    cite: tuple[Citation, ...] = ()


class Position(Record):
    """A stakeholder's stance on a proposal."""

    stakeholder: Slug = Field(description="Id of the stakeholder.")
    stance: Stance = Field(description="Their stance on the proposal, as the sources state it.")
    text: Markdown
    cite: tuple[Citation, ...] = ()


class Proposal(Record):
    """A demand, concession, process or policy measure."""

    id: Slug
    title: Name = Field(description="What is proposed, in a few words.")
    category: ProposalCategory = Field(description="Groups proposals on the proposals page.")
    status: ProposalStatus = Field(default="open", description="Where the proposal stands today.")
    proposed_by: tuple[Slug, ...] = Field(default=(), description="Stakeholder ids.")
    summary: tuple[Claim, ...] = ()
    components: tuple[Component, ...] = Field(default=(), description="Components or phases, in order.")
    positions: tuple[Position, ...] = ()
    obstacles: tuple[Claim, ...] = ()
    updated: dt.date | None = Field(
        default=None, description="When the desk last revised this entry (YYYY-MM-DD); dates it in the feed."
    )


StakeholderKind = Literal["country", "person", "organisation"]


class Stakeholder(Record):
    """A country, person or organisation with a part in the story."""

    id: Slug
    name: Name = Field(description="Full name, e.g. `Kim Jong Un` or `UN Security Council`.")
    kind: StakeholderKind = Field(description="A country, a person or an organisation.")
    aliases: tuple[Name, ...] = Field(
        default=(), description="Other names; mentions of the name and aliases in sources link here."
    )
    role: Markdown | None = Field(default=None, description="One line: who they are in this story.")
    summary: tuple[Claim, ...] = ()
    updated: dt.date | None = Field(
        default=None, description="When the desk last revised this entry (YYYY-MM-DD); dates it in the feed."
    )


SourceKind = Literal["op-ed", "analysis", "report-summary", "news", "official-text"]


class SourceMeta(Record):
    """Metadata of a source; the body is the `.txt` or `.md` file with the same name."""

    id: Slug
    title: Name = Field(
        description="The headline as published; a title the desk supplies goes in [brackets]."
    )
    author: Name | None = Field(default=None, description="Empty when the text does not say.")
    publisher: Name | None = Field(default=None, description="Empty when the text does not say.")
    date: dt.date | None = Field(default=None, description="Publication date; empty if unknown.")
    url: WebUrl | None = Field(default=None, description="Where the text was published (http or https).")
    kind: SourceKind = Field(description="What kind of text it is.")
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(?:-[A-Za-z0-9]+)*$")] = Field(
        default="en", description="Language code of the text, e.g. `en`."
    )
    updated: dt.date | None = Field(
        default=None, description="When the desk added or last revised this source; dates it in the feed."
    )
