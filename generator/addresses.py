"""Web addresses from content: which are allowed, and how their hosts are written.

A reader trusts a link by its host, so a host must look like what it is. One holding an
invisible or control character (a zero-width space) or a user name before it
(`https://trusted.org@elsewhere.net`) is refused; an international name is checked
with IDNA (UTS #46) and written in its ASCII form (punycode), wherever a reader sees it,
so that a look-alike letter from another script (a Cyrillic `a`, U+0430) shows as
`xn--…` instead of passing for the real name.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

import idna

WEB_SCHEMES = frozenset({"http", "https"})
#: Unicode categories of characters that show nothing: controls, format characters
#: (zero-width spaces and joiners, direction marks), separators, private and unassigned.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
#: An ASCII host as written: a name (letters, digits, `-`, `_`, dots) or a bracketed IPv6 literal.
_ASCII_HOST = re.compile(r"[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\]")


class AddressError(ValueError):
    """Why an address is refused, in words for the author."""


def _invisible(text: str) -> str | None:
    for char in text:
        if unicodedata.category(char) in _INVISIBLE:
            name = unicodedata.name(char, "")
            return f"U+{ord(char):04X}" + (f" ({name})" if name else "")
    return None


def ascii_host(host: str) -> str:
    """`host` as it is linked and shown: ASCII, international names in punycode.

    Raises `AddressError` for a host with an invisible character or an invalid name."""
    hidden = _invisible(host)
    if hidden is not None:
        raise AddressError(f"its host holds the invisible character {hidden}")
    if host.isascii():
        if not _ASCII_HOST.fullmatch(host):
            raise AddressError(f"its host {host!r} is not a host name")
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as error:
        raise AddressError(f"its host {host!r} is not a valid international domain name ({error})") from None


def checked_url(url: str) -> str:
    """An http(s) or mailto address as content may link it, with an ASCII host.

    Raises `AddressError` saying why it is refused (a host a reader could be misled by)."""
    try:
        parts = urlsplit(url)
    except ValueError as error:  # a broken IPv6 literal
        raise AddressError(f"it is not a valid address ({error})") from None
    scheme = parts.scheme.lower()
    if scheme == "mailto":
        mailbox, at, domain = parts.path.rpartition("@")
        if not at:
            return url
        return urlunsplit(parts._replace(path=f"{mailbox}@{ascii_host(domain)}"))
    if scheme not in WEB_SCHEMES:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        raise AddressError("it names a user before its host ('…@'), which hides the real host")
    host, colon, port = netloc.rpartition(":") if not netloc.endswith("]") else (netloc, "", "")
    if not colon:
        host, port = netloc, ""
    elif port and not (port.isascii() and port.isdigit() and int(port) <= 65535):
        raise AddressError(f"its port {port!r} is not a number from 0 to 65535")
    written = ascii_host(host)
    if written == host:
        return url
    return urlunsplit(parts._replace(netloc=written + colon + port))


def shown_url(url: str) -> str:
    """`url` with its host in ASCII, as a link's text shows it; unchanged if it is refused
    (validation reports it, and the build stops)."""
    try:
        return checked_url(url)
    except AddressError:
        return url
