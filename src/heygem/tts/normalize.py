"""Text normalisation before synthesis: numbers and symbols the way a speaker reads them.

Chinese text gets every number rewritten in Chinese (the Mandarin engine would otherwise read
digits and "%" in English). English text keeps its digits, which the English engines read well
("35" -> thirty-five, "3.14" -> three point one four); only symbols are spelled out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from . import zh_numbers

_SPACES = re.compile(r"[^\S\n]+")  # line breaks stay: they end sentences
# Markup and decoration that engines would spell out ("asterisk", "number sign").
_DROP = re.compile(r"[*_#`|<>{}\[\]^\\《》〈〉「」『』【】“”\"]")


def normalize(text: str, language: str) -> str:
    """Text as the engine should see it: NFKC, symbols and (for Chinese) numbers in words."""
    # NFKC turns full-width digits, letters and ％ into ASCII and ℃ into °C, so one set of
    # patterns covers both widths.
    text = unicodedata.normalize("NFKC", text)
    text = _DROP.sub(" ", text)
    text = _zh(text) if language == "zh" else _en(text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


# --- Chinese -------------------------------------------------------------------------------

_NUM = r"\d+(?:\.\d+)?"
_MEASURES = "元块人个次米克吨件张台辆家份股户万亿美欧英日"

_ZH_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # -5 -> 负五: a minus sign, not a hyphen inside a word or a range (3-5)
    (re.compile(rf"(?<![A-Za-z0-9.])-(?={_NUM})"), "负"),
    # 1,000,000 -> 一百万: thousands groups mark a quantity (and "1,2" stays a list)
    (re.compile(r"(?<![\d,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])"),
     lambda m: zh_numbers.decimal(m[0].replace(",", ""))),
    # 2024-01-05, 2024/1/5 -> 二零二四年一月五日
    (re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"), lambda m: _date(m[1], m[2], m[3])),
    # 12.5% -> 百分之十二点五 (the percentage comes first in Chinese)
    (re.compile(rf"({_NUM})\s*%"), lambda m: "百分之" + zh_numbers.decimal(m[1])),
    # 2024年 -> 二零二四年 (years are read digit by digit)
    (re.compile(r"(?<!\d)(\d{4})(?=\s*年)"), lambda m: zh_numbers.digits(m[1])),
    # 10:30 -> 十点三十分, 9:00 -> 九点
    (re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?!\d)"), lambda m: _clock(m[1], m[2])),
    # 1/2 -> 二分之一
    (re.compile(r"(?<![\d/])(\d+)/(\d+)(?![\d/])"),
     lambda m: zh_numbers.cardinal(m[2]) + "分之" + zh_numbers.cardinal(m[1])),
    # 3-5, 3~5 -> 三到五
    (re.compile(rf"(?<=\d)\s*[-~]\s*(?={_NUM})"), "到"),
    # ids and phone numbers: 7+ digits, or a leading zero, are read digit by digit, unless a
    # measure word after them says they count something (1000000元)
    (re.compile(rf"(?<![\d.])(0\d+|\d{{7,}})(?![\d.]|\s*[{_MEASURES}])"), lambda m: zh_numbers.digits(m[1])),
    # everything else: quantities
    (re.compile(_NUM), lambda m: zh_numbers.decimal(m[0])),
    (re.compile(r"°C"), "摄氏度"),
    (re.compile(r"°F"), "华氏度"),
    (re.compile(r"°"), "度"),
]

# Currency signs go after the amount in Chinese: $5 -> 5美元 (before numbers are rewritten).
_ZH_CURRENCY = re.compile(rf"([$¥€£])\s*(\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|{_NUM})")
_ZH_CURRENCY_NAMES = {"$": "美元", "¥": "元", "€": "欧元", "£": "英镑"}
_ZH_SYMBOLS = {"+": "加", "=": "等于", "&": "和", "@": " at ", "~": "到"}


def _zh(text: str) -> str:
    text = _ZH_CURRENCY.sub(lambda m: m[2] + _ZH_CURRENCY_NAMES[m[1]], text)
    for pattern, replacement in _ZH_RULES:
        text = pattern.sub(replacement, text)
    return "".join(_ZH_SYMBOLS.get(ch, ch) for ch in text)


def _date(year: str, month: str, day: str) -> str:
    return (
        zh_numbers.digits(year) + "年"
        + zh_numbers.cardinal(month) + "月"
        + zh_numbers.cardinal(day) + "日"
    )


def _clock(hours: str, minutes: str) -> str:
    spoken = zh_numbers.cardinal(hours) + "点"
    if int(minutes):
        spoken += ("零" if minutes.startswith("0") else "") + zh_numbers.cardinal(minutes) + "分"
    return spoken


# --- English -------------------------------------------------------------------------------

_EN_CURRENCY = re.compile(rf"([$€£¥])\s*({_NUM}(?:,\d{{3}})*)(\s*(?:million|billion|thousand|k)\b)?")
_EN_CURRENCY_NAMES = {"$": "dollars", "€": "euros", "£": "pounds", "¥": "yuan"}
_EN_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\s*%"), " percent"),
    (re.compile(r"°C\b"), " degrees Celsius"),
    (re.compile(r"°F\b"), " degrees Fahrenheit"),
    (re.compile(r"\s*°"), " degrees"),
    (re.compile(r"\s*&\s*"), " and "),
    (re.compile(r"\s*\+\s*"), " plus "),
    (re.compile(r"\s*=\s*"), " equals "),
    (re.compile(r"(?<=\s)@(?=\s)|^@(?=\s)"), "at"),
    (re.compile(r"(?<=\d)\s*[~]\s*(?=\d)"), " to "),
]


def _en(text: str) -> str:
    text = _EN_CURRENCY.sub(
        lambda m: m[2] + (m[3] or "") + " " + _EN_CURRENCY_NAMES[m[1]], text
    )
    for pattern, replacement in _EN_RULES:
        text = pattern.sub(replacement, text)
    return text
