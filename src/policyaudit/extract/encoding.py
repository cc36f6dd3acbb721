"""Decode bytes of text formats: BOM, then a declared charset, then UTF-8, then detection."""

from __future__ import annotations

import codecs
import re

# Browsers read these labels as windows-1252, and so do real-world "latin-1" pages with curly
# quotes and pound signs in the 0x80-0x9F range.
_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "windows-1252": "cp1252",
    "iso8859-1": "cp1252",
}
_BOMS = [
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def _canonical(name: str) -> str | None:
    name = name.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str | None]:
    """Return the text and a warning when the encoding had to be guessed or was not UTF-8."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace"), None
    if declared and (codec := _canonical(declared)):
        try:
            text = data.decode(codec)
            return text, None if codec in ("utf-8", "cp1252") and codec == "utf-8" else (
                f"decoded as {codec} (declared)"
            )
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    codec = _detect(data)
    return data.decode(codec, errors="replace"), f"decoded as {codec}"


def _detect(data: bytes) -> str:
    """Detected codec; single-byte Western text is far more often cp1252 than anything else."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    name = _canonical(best.encoding) if best is not None else None
    if name is None or name in ("latin_1", "iso8859-15", "iso8859_15", "cp1250", "iso8859-2"):
        name = "cp1252"
    if name != "cp1252" and _cp1252_plausible(data):
        name = "cp1252"
    return name


def _cp1252_plausible(data: bytes) -> bool:
    """True when every high byte is a common cp1252 letter or punctuation mark."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    high = {c for c in text if ord(c) > 127}
    return bool(high) and all(re.match(r"[£€’‘“”–—…•·°éèêëàâäçîïôöûüùÉÀÇñ©®½¼¾]", c) for c in high)


def declared_charset(head: bytes) -> str | None:
    """Charset declared in an HTML meta tag or XML declaration within the first bytes."""
    m = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([\w:.-]+)""", head, re.I) or re.search(
        rb"""<\?xml[^>]+encoding\s*=\s*["']([\w.-]+)""", head, re.I
    )
    return m.group(1).decode("ascii", "ignore") if m else None
