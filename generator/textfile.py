"""Reading a content file as text: bounded in size, UTF-8, and free of control characters.

Every text a briefing reads (YAML summaries, source bodies, config.yaml) comes through
here, so one rule holds for every output: a file larger than its limit, bytes that are
not UTF-8, and characters that HTML and XML do not allow in text (C0 and C1 controls
other than tab and line ends, DEL, lone surrogates, non-characters) are refused with
the line and column where they are, before any parser sees them. The same rule applies
to values that YAML escapes produce (`"\\x1b"`): `forbidden_character` finds those.
"""

from __future__ import annotations

import re
import unicodedata

from generator.errors import Location, Problem

#: Characters refused in content text: they are invisible, act on terminals, or make an
#: HTML page or the Atom feed invalid (XML 1.0 forbids them outright).
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
#: Outside the first plane the non-characters are the last two of each plane (U+1FFFE...):
#: found by their code, since a character class listing them is slow to search.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

MIB = 1024 * 1024
#: The largest YAML file (summaries, config.yaml): far above any real summary, and small
#: enough that a file's records stay a few tens of MiB in memory.
YAML_LIMIT = 1 * MIB
#: The largest source text: a long report is a few hundred KiB of text.
BODY_LIMIT = 8 * MIB


def character_name(char: str) -> str:
    """`U+001B (ESC)`: how a message names a character a reader cannot see."""
    code = ord(char)
    name = _C0_NAMES[code] if code < 0x20 else "DEL" if code == 0x7F else unicodedata.name(char, "")
    return f"U+{code:04X}" + (f" ({name})" if name else "")


#: The standard abbreviations of the C0 controls, which have no Unicode names.
# fmt: off
_C0_NAMES = (
    "NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI",
    "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US",
)
# fmt: on


def forbidden_character(text: str) -> tuple[int, str] | None:
    """The offset and the first character of `text` that content may not hold, if any."""
    found = FORBIDDEN.search(text)
    end = found.start() if found else len(text)
    for astral in _ASTRAL.finditer(text, 0, end):
        if ord(astral.group(0)) & 0xFFFE == 0xFFFE:
            return astral.start(), astral.group(0)
    return (found.start(), found.group(0)) if found else None


def position(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of `offset` in `text` (lines end at `\\n`)."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def decode_text(data: bytes, name: str) -> tuple[str | None, list[Problem]]:
    """The text of a content file's bytes, or the problem that stops it (at its line)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        start = max(error.start, bom)
        line_start = data.rfind(b"\n", 0, start) + 1
        line = data.count(b"\n", 0, start) + 1
        column = len(data[max(line_start, bom) : start].decode("utf-8", "replace")) + 1
        byte = data[start : start + 1].hex()
        return None, [
            Problem(
                Location(name, line, column),
                f"not valid UTF-8 (byte 0x{byte})",
                "save the file as UTF-8",
                code="BRF004",
            )
        ]
    found = forbidden_character(text)
    if found is not None:
        offset, char = found
        line, column = position(text, offset)
        return None, [forbidden_character_problem(Location(name, line, column), "", char)]
    return text, []


def forbidden_character_problem(where: Location, field: str, char: str) -> Problem:
    """The problem for a character content may not hold, in `field` ('' for the raw text)."""
    subject = f"{field}: holds" if field else "this line holds"
    return Problem(
        where,
        f"{subject} the control character {character_name(char)}, which pages and feeds cannot show",
        "delete it (it is invisible in most editors: search for it by its code, or retype the line)",
        code="BRF040",
    )


def read_bytes(path: str, name: str, limit: int) -> tuple[bytes | None, list[Problem]]:
    """The bytes of the file at `path` (shown as `name`); never more than `limit` are
    read, and a larger file is refused."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        return None, [unreadable(name, error)]
    if len(data) > limit:
        return None, [too_large(name, limit)]
    return data, []


def read_text(path: str, name: str, limit: int) -> tuple[str | None, list[Problem]]:
    """Read the file at `path` (shown as `name`) as text, refusing more than `limit` bytes."""
    data, problems = read_bytes(path, name, limit)
    return decode_text(data, name) if data is not None else (None, problems)


def unreadable(name: str, error: OSError) -> Problem:
    reason = error.strerror or str(error)
    return Problem(
        Location(name), f"cannot read file: {reason}", "check that it is a readable file", code="BRF004"
    )


def too_large(name: str, limit: int) -> Problem:
    return Problem(
        Location(name),
        f"file is larger than {limit // MIB} MiB, the limit for this kind of file",
        "split it into smaller files; a summary that large is unlikely to be intended",
        code="BRF043",
    )
