"""Chinese readings of numbers: 35 -> 三十五, 2024 (a year) -> 二零二四, 3.14 -> 三点一四."""

from __future__ import annotations

_DIGITS = "零一二三四五六七八九"
_SMALL_UNITS = ((1000, "千"), (100, "百"), (10, "十"), (1, ""))
_BIG_UNITS = ("", "万", "亿", "万亿")

MAX_CARDINAL = 10**16 - 1
"""Larger integers are read digit by digit (they are ids, not quantities)."""


def digits(text: str) -> str:
    """Digit by digit: years, phone numbers, the part after a decimal point."""
    return "".join(_DIGITS[int(ch)] for ch in text)


def cardinal(text: str) -> str:
    """An integer as a quantity: 10 -> 十, 1005 -> 一千零五, 20000 -> 两万."""
    n = int(text)
    if n > MAX_CARDINAL:
        return digits(text)
    if n == 0:
        return "零"
    sections = []
    while n:
        sections.append(n % 10000)
        n //= 10000
    out = ""
    gap = False  # a zero section (or leading zeros) between two spoken ones needs one 零
    for index in range(len(sections) - 1, -1, -1):
        value = sections[index]
        if value == 0:
            gap = bool(out)
            continue
        if out and (gap or value < 1000):
            out += "零"
        out += _section(value) + _BIG_UNITS[index]
        gap = False
    if out.startswith("一十"):  # 十五, not 一十五
        out = out[1:]
    if out[:2] in ("二千", "二万", "二亿"):  # 两千, 两万: how a number is said aloud
        out = "两" + out[1:]
    return out


def decimal(text: str) -> str:
    """3.14 -> 三点一四; a leading sign is the caller's business."""
    whole, _, frac = text.partition(".")
    spoken = cardinal(whole or "0")
    return spoken + "点" + digits(frac) if frac else spoken


def _section(value: int) -> str:
    """0 < value < 10000 -> its reading without a big unit: 1050 -> 一千零五十."""
    out = ""
    zero = False
    for unit_value, unit in _SMALL_UNITS:
        digit = value // unit_value % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[digit] + unit
    return out
