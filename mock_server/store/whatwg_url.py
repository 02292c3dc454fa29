"""The part of the WHATWG URL parser (JavaScript's ``new URL``) Novu's Domain Connect rules read:
whether an http(s) URL parses, and its scheme, host and port.

Novu checks a Domain Connect ``redirectUri`` with ``new URL(value)`` (an HTTPS URL, or HTTP on
localhost or 127.0.0.1) and compares its origin with the dashboard's. ``urllib.parse`` splits URLs
the RFC 3986 way, which differs where browsers are lenient: leading and trailing spaces and
control characters are dropped, tabs and newlines anywhere are ignored, any run of slashes or
backslashes may follow ``https:``, host names are case-free and IDNA-encoded, and a host that ends
in a number is an IPv4 address in any of its old spellings (``127.1``, ``0x7f.0.0.1``).

Hosts with non-ASCII labels go through Python's IDNA 2003 codec, close to (not exactly) the
UTS #46 processing browsers apply.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from encodings import idna
from urllib.parse import unquote_to_bytes

SPECIAL_PORTS = {"http": 80, "https": 443}
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# forbidden domain code points: C0 controls, space, # % / : < > ? @ [ \ ] ^ | and DEL
_FORBIDDEN_DOMAIN = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")
_PORT = re.compile(r"[0-9]*")


@dataclass(frozen=True, slots=True)
class HttpUrl:
    scheme: str  # "http" or "https"
    host: str  # serialized: lower-case ASCII, dotted IPv4, or [IPv6]
    port: int | None  # None: the scheme's default
    rest: str  # path, query and fragment as given (backslashes in the path read as slashes)

    @property
    def origin(self) -> tuple[str, str, int | None]:
        return self.scheme, self.host, self.port

    def href(self) -> str:
        port = "" if self.port is None else f":{self.port}"
        return f"{self.scheme}://{self.host}{port}{self.rest or '/'}"


def parse_http_url(value: str) -> HttpUrl | None:
    """The http(s) URL ``value`` names as ``new URL(value)`` reads it, or None when it is no
    URL or not an http(s) one."""
    text = value.strip("".join(chr(code) for code in range(0x21)))
    text = re.sub("[\t\n\r]", "", text)
    scheme_match = _SCHEME.match(text)
    if not scheme_match or scheme_match.group(1).lower() not in SPECIAL_PORTS:
        return None
    scheme = scheme_match.group(1).lower()
    remainder = text[scheme_match.end():].lstrip("/\\")
    authority = re.match(r"[^/\\?#]*", remainder).group(0)  # type: ignore[union-attr]
    rest = remainder[len(authority):]
    host_and_port = authority.rsplit("@", 1)[-1]
    if host_and_port.startswith("["):
        closing = host_and_port.find("]")
        if closing < 0:
            return None
        raw_host, after = host_and_port[: closing + 1], host_and_port[closing + 1:]
        if after and not after.startswith(":"):
            return None
        raw_port = after[1:] if after else ""
    else:
        raw_host, _, raw_port = host_and_port.partition(":")
    if not _PORT.fullmatch(raw_port) or (raw_port and int(raw_port) > 65535):
        return None
    host = _host(raw_host)
    if host is None:
        return None
    port = int(raw_port) if raw_port else None
    if port == SPECIAL_PORTS[scheme]:
        port = None
    path_end = re.search("[?#]", rest)
    path, tail = (rest[: path_end.start()], rest[path_end.start():]) if path_end else (rest, "")
    return HttpUrl(scheme, host, port, path.replace("\\", "/") + tail)


def _host(raw: str) -> str | None:
    if not raw:
        return None
    if raw.startswith("["):
        if not raw.endswith("]") or "%" in raw:
            return None
        try:
            return f"[{ipaddress.IPv6Address(raw[1:-1]).compressed}]"
        except ValueError:
            return None
    domain = unquote_to_bytes(raw).decode("utf-8", errors="replace")
    ascii_domain = _to_ascii(domain)
    if ascii_domain is None or _FORBIDDEN_DOMAIN.search(ascii_domain):
        return None
    if _ends_in_a_number(ascii_domain):
        return _ipv4(ascii_domain)
    return ascii_domain


def _to_ascii(domain: str) -> str | None:
    labels = []
    for label in domain.split("."):
        if label.isascii():
            labels.append(label.lower())
            continue
        try:
            labels.append(idna.ToASCII(label).decode("ascii").lower())
        except UnicodeError:
            return None
    return ".".join(labels)


def _ipv4_number(text: str) -> int | None:
    if not text:
        return None
    radix = 10
    if text[:2].lower() == "0x":
        text, radix = text[2:], 16
    elif len(text) > 1 and text.startswith("0"):
        text, radix = text[1:], 8
    if not text:
        return 0
    try:
        return int(text, radix) if re.fullmatch("[0-9a-fA-F]+", text) else None
    except ValueError:
        return None


def _ends_in_a_number(domain: str) -> bool:
    parts = domain.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    return bool(last) and (last.isdigit() and last.isascii() or _ipv4_number(last) is not None)


def _ipv4(domain: str) -> str | None:
    parts = domain.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if any(number is None for number in numbers):
        return None
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):  # type: ignore[operator]
        return None
    value = last
    for index, number in enumerate(leading):
        value += number * 256 ** (3 - index)  # type: ignore[operator]
    return str(ipaddress.IPv4Address(value))
