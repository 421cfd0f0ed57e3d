"""Read vCard 2.1, 3.0 and 4.0 files the way phones and mail programs really write them.

Works on bytes, property by property, because the file's own claims are not to be trusted:

* quoted-printable soft line breaks (``=`` at a line end, Android writes one every ~23
  bytes, often inside a UTF-8 character) are joined *before* decoding;
* every property is decoded with its own ``CHARSET`` (Outlook writes ``CHARSET=gb2312`` for
  cp936 bytes such as 珺: GB-family labels decode as GB18030, never strictly), unlabelled
  values as UTF-8 and otherwise GB18030;
* 2.1 writers do not escape commas ("Co., Ltd.", "Lisa Li, PhD"), so text is split only on
  ``;`` in structured properties (N, ORG, ADR) and never on commas;
* folded lines (PHOTO base64), ``item1.TEL`` + ``item1.X-ABLabel``, ``IMPP`` /
  ``X-WECHAT`` (→ 微信), vCard 4.0 ``tel:`` URIs with ``;ext=`` are understood.

vobject is not used for reading: it splits 2.1 text on commas and decodes before joining
QP soft breaks, which is exactly what loses the data.
"""

from __future__ import annotations

import quopri
import re
from dataclasses import dataclass, field

GB_CHARSETS = {"gb2312", "gbk", "gb18030", "cp936", "euc-cn", "x-gbk", "936", "hz-gb-2312"}


@dataclass
class VProperty:
    group: str
    name: str
    params: dict[str, list[str]]
    value: str  # decoded text, escapes not yet removed

    def types(self) -> set[str]:
        out: set[str] = set()
        for value in self.params.get("TYPE", []):
            out |= {t.strip().lower() for t in value.split(",") if t.strip()}
        return out


@dataclass
class VCard:
    line: int
    version: str = "2.1"
    properties: list[VProperty] = field(default_factory=list)

    def all(self, name: str) -> list[VProperty]:
        return [p for p in self.properties if p.name == name]

    def first(self, name: str) -> VProperty | None:
        found = self.all(name)
        return found[0] if found else None


def _decode_text(raw: bytes, charset: str, default: str = "utf-8") -> str:
    """Decode one value: a GB-family label as GB18030 (Outlook's "gb2312" holds cp936
    bytes), another label as itself, no label as the card's default; never strictly."""
    charset = (charset or "").strip().strip('"').lower()
    if charset in GB_CHARSETS:
        return raw.decode("gb18030", errors="replace")
    if charset and charset not in ("utf-8", "utf8"):
        try:
            return raw.decode(charset, errors="replace")
        except LookupError:
            pass
    order = (
        ["utf-8", "gb18030"] if (charset or default) in ("utf-8", "utf8") else ["gb18030", "utf-8"]
    )
    for encoding in order:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode(order[0], errors="replace")


def _split_unquoted(text: bytes, sep: bytes) -> list[bytes]:
    parts, current, quoted = [], bytearray(), False
    for byte in text:
        ch = bytes([byte])
        if ch == b'"':
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append(bytes(current))
            current = bytearray()
        else:
            current += ch
    parts.append(bytes(current))
    return parts


def _head_and_value(line: bytes) -> tuple[bytes, bytes]:
    quoted = False
    for n, byte in enumerate(line):
        if byte == 0x22:
            quoted = not quoted
        elif byte == 0x3A and not quoted:  # ':'
            return line[:n], line[n + 1 :]
    return line, b""


def _is_qp(head: bytes) -> bool:
    return b"QUOTED-PRINTABLE" in head.upper()


def _logical_lines(data: bytes) -> list[tuple[int, bytes]]:
    """(first physical line number, logical line) after unfolding and QP joining."""
    physical = re.split(rb"\r\n|\n|\r", data)
    out: list[tuple[int, bytes]] = []
    n = 0
    while n < len(physical):
        line, start = physical[n], n + 1
        n += 1
        if not line.strip():
            continue
        head, _ = _head_and_value(line)
        if _is_qp(head):
            # Soft break: '=' at the end means the value continues on the next line.
            while line.endswith(b"=") and n < len(physical):
                line = line[:-1] + physical[n]
                n += 1
        # Folding (3.0/4.0, and 2.1 base64): a line starting with a space or tab continues.
        while n < len(physical) and physical[n][:1] in (b" ", b"\t"):
            line += physical[n][1:]
            n += 1
        out.append((start, line))
    return out


def _parse_property(line: bytes) -> tuple[VProperty, bytes] | None:
    """The property with its value still as bytes (QP already decoded)."""
    head, raw_value = _head_and_value(line)
    parts = _split_unquoted(head, b";")
    name_part = parts[0].decode("ascii", errors="replace").strip()
    group, _, name = name_part.rpartition(".")
    params: dict[str, list[str]] = {}
    for part in parts[1:]:
        text = part.decode("utf-8", errors="replace").strip()
        if not text:
            continue
        if "=" in text:
            key, _, value = text.partition("=")
            params.setdefault(key.strip().upper(), []).append(value.strip().strip('"'))
        else:  # 2.1 bare parameter: CELL, QUOTED-PRINTABLE, BASE64 …
            upper = text.upper()
            if upper in ("QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"):
                params.setdefault("ENCODING", []).append(upper)
            else:
                params.setdefault("TYPE", []).append(text)
    name = name.upper()
    if not name:
        return None
    encoding = {e.upper() for e in params.get("ENCODING", [])}
    if name == "PHOTO" or encoding & {"BASE64", "B"}:
        return VProperty(group.upper(), name, params, ""), b""  # binary: not needed
    if "QUOTED-PRINTABLE" in encoding:
        raw_value = quopri.decodestring(raw_value)
    return VProperty(group.upper(), name, params, ""), raw_value


def parse(data: bytes) -> list[VCard]:
    """Every top-level card in the file; unreadable lines are skipped, not fatal."""
    try:
        data.decode("utf-8")
        file_default = "utf-8"
    except UnicodeDecodeError:
        file_default = "gb18030"
    cards: list[VCard] = []
    current: VCard | None = None
    raw: list[tuple[VProperty, bytes]] = []
    depth = 0

    def finish(card: VCard) -> None:
        labelled = {(p.params.get("CHARSET") or [""])[0].lower() for p, _ in raw}
        default = "gb18030" if labelled & GB_CHARSETS else file_default
        for prop, value in raw:
            charset = (prop.params.get("CHARSET") or [""])[0]
            text = _decode_text(value, charset, default) if value else ""
            prop.value = text.replace("\r\n", "\n").replace("\r", "\n")
            if prop.name == "VERSION":
                card.version = prop.value.strip()
            else:
                card.properties.append(prop)
        cards.append(card)

    for line_no, line in _logical_lines(data):
        upper = line.strip().upper()
        if upper == b"BEGIN:VCARD":
            depth += 1
            if depth == 1:
                current, raw = VCard(line_no), []
            continue
        if upper == b"END:VCARD":
            depth = max(0, depth - 1)
            if depth == 0 and current is not None:
                finish(current)
                current = None
            continue
        if current is None or depth != 1:
            continue
        parsed = _parse_property(line)
        if parsed is not None:
            raw.append(parsed)
    if current is not None:  # a last card without END:VCARD still counts
        finish(current)
    return cards


def unescape(text: str, version: str) -> str:
    """Remove vCard escapes. 2.1 has only ``\\;``; 3.0/4.0 also ``\\,`` ``\\n`` ``\\\\``."""
    if version.startswith("2"):
        return text.replace("\\;", ";").strip()
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] in "nN" else m[1], text).strip()


def components(text: str) -> list[str]:
    """Split a structured value (N, ORG, ADR) on unescaped ';' — never on commas."""
    return re.split(r"(?<!\\);", text)


@dataclass
class Contact:
    line: int
    name: str = ""
    title: str = ""
    company: str = ""
    phones: list[tuple[str, set[str]]] = field(default_factory=list)  # (number, types)
    emails: list[str] = field(default_factory=list)
    wechat: str = ""
    notes: list[str] = field(default_factory=list)


def _labels(card: VCard) -> dict[str, str]:
    """group → X-ABLabel text (iPhone: item1.TEL + item1.X-ABLabel:_$!<Mobile>!$_ or 微信)."""
    out = {}
    for prop in card.all("X-ABLABEL"):
        if prop.group:
            label = re.sub(r"^_\$!<(.*)>!\$_$", r"\1", prop.value.strip())
            out[prop.group] = label.lower()
    return out


_WECHAT_WORDS = ("wechat", "weixin", "微信")


def contact(card: VCard) -> Contact:
    version = card.version
    out = Contact(card.line)
    labels = _labels(card)

    def text(prop: VProperty | None) -> str:
        return unescape(prop.value, version) if prop else ""

    out.name = text(card.first("FN"))
    n = card.first("N")
    if n is not None:
        parts = [unescape(p, version) for p in components(n.value)] + ["", ""]
        family, given = parts[0], parts[1]
        from_n = (
            f"{family}{given}"
            if re.search(r"[\u3400-\u9fff]", family + given)
            else f"{given} {family}".strip()
        )
        if not out.name or (out.name == given and family):
            out.name = from_n
    org = card.first("ORG")
    if org is not None:
        out.company = unescape(components(org.value)[0], version)
    out.title = text(card.first("TITLE")) or text(card.first("ROLE"))
    for prop in card.all("TEL"):
        value = prop.value.strip()
        if value.lower().startswith("tel:"):
            value = value[4:]
            value, _, ext = value.partition(";ext=")
            value = value.split(";")[0] + (f" ext. {ext}" if ext else "")
        value = unescape(value, version)
        types = prop.types()
        if prop.group in labels:
            types.add(labels[prop.group])
        if value:
            out.phones.append((value, types))
    out.emails = [text(p) for p in card.all("EMAIL") if text(p)]
    for prop in card.all("IMPP"):
        service = " ".join(prop.params.get("X-SERVICE-TYPE", []) + list(prop.types()))
        label = labels.get(prop.group, "")
        value = text(prop)
        handle = re.sub(r"^[a-z-]+:", "", value, flags=re.IGNORECASE)
        scheme = value.split(":", 1)[0].lower() if ":" in value else ""
        if any(w in f"{service} {label} {scheme}".lower() for w in _WECHAT_WORDS):
            out.wechat = out.wechat or handle
        elif handle:
            out.notes.append(f"{(service or scheme or 'IM').strip()}：{handle}")
    for key in ("X-WECHAT", "X-WEIXIN"):
        found = card.first(key)
        if found is not None and not out.wechat:
            out.wechat = text(found)
    qq = card.first("X-QQ")
    if qq is not None and text(qq):
        out.notes.append(f"QQ：{text(qq)}")
    note = text(card.first("NOTE"))
    if note:
        out.notes.insert(0, note)
    nickname = text(card.first("NICKNAME"))
    if nickname:
        out.notes.append(f"昵称：{nickname}")
    return out
