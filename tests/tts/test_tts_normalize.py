"""Numbers and symbols read the way a speaker says them, in Chinese and English."""

from __future__ import annotations

import pytest

from heygem.tts import zh_numbers
from heygem.tts.normalize import normalize


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        ("0", "零"), ("7", "七"), ("10", "十"), ("12", "十二"), ("35", "三十五"), ("100", "一百"),
        ("110", "一百一十"), ("1005", "一千零五"), ("1050", "一千零五十"), ("2000", "两千"),
        ("10005", "一万零五"), ("20000", "两万"), ("110000", "十一万"), ("100010000", "一亿零一万"),
        ("1000000", "一百万"), ("120000000", "一亿二千万"),
    ],
)
def test_zh_cardinal(number: str, spoken: str) -> None:
    assert zh_numbers.cardinal(number) == spoken


def test_zh_huge_numbers_read_digit_by_digit() -> None:
    assert zh_numbers.cardinal("12345678901234567") == "一二三四五六七八九零一二三四五六七"


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("2024年", "二零二四年"),
        ("增长了35%", "增长了百分之三十五"),
        ("12.5%的人", "百分之十二点五的人"),
        ("圆周率3.14", "圆周率三点一四"),
        ("第3名", "第三名"),
        ("共1,000,000元", "共一百万元"),
        ("共10000000人", "共一千万人"),
        ("电话13812345678", "电话一三八一二三四五六七八"),
        ("编号007", "编号零零七"),
        ("10:30出发，9:00到，9:05走", "十点三十分出发,九点到,九点零五分走"),
        ("2024-01-05发布", "二零二四年一月五日发布"),
        ("3-5天", "三到五天"),
        ("温度是-5℃", "温度是负五摄氏度"),
        ("1/2的人", "二分之一的人"),
        ("价格$5", "价格五美元"),
        ("亏损$1,000", "亏损一千美元"),
        ("-1,000元和-5%", "负一千元和负百分之五"),
        ("1+1=2", "一加一等于二"),
        ("Ａ１", "A一"),  # full-width letters and digits
        ("《三体》很好", "三体 很好"),
    ],
)
def test_zh_normalisation(text: str, spoken: str) -> None:
    assert normalize(text, "zh") == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("It grew 35% in 2024.", "It grew 35 percent in 2024."),
        ("$5 & $1.5 million", "5 dollars and 1.5 million dollars"),
        ("21°C, 3~5 days", "21 degrees Celsius, 3 to 5 days"),
        ("1+1=2", "1 plus 1 equals 2"),
        ("**bold** and #tag", "bold and tag"),
    ],
)
def test_en_normalisation(text: str, spoken: str) -> None:
    assert normalize(text, "en") == spoken


def test_normalisation_keeps_line_breaks_and_collapses_spaces() -> None:
    assert normalize("  one   two \n\n three ", "en") == "one two\nthree"
