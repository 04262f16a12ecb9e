"""Names people have, spelled for machines: user names made from given and family names."""

from __future__ import annotations

import unicodedata

__all__ = ["transliterate"]

_LETTERS = {
    "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D",
    "\u0131": "i", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D",
}  # fmt: skip
"""Letters NFKD does not decompose into an ASCII base letter (``\\u0131`` is the dotless i),
and how they are spelled."""


def transliterate(text: str) -> str:
    """Spell a name in lower-case ASCII letters and digits, keeping every letter's sound.

    :param text: a name, e.g. ``Øyvind``, ``Łukasz``, ``Strauß`` or a dotless i.
    :returns: e.g. ``oyvind``, ``lukasz``, ``strauss``, ``i`` (never a dropped letter).
    """
    spelled = "".join(_LETTERS.get(c, c) for c in text)
    plain = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())
