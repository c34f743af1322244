"""Language detection and splitting long text into pieces."""

from __future__ import annotations

from heygem.tts.text import MAX_PIECE_WEIGHT, detect_language, split_sentences, split_text, weight


def test_detect_language() -> None:
    assert detect_language("Hello world") == "en"
    assert detect_language("你好") == "zh"
    assert detect_language("We use 数字人 here") == "zh"  # any Han character decides
    assert detect_language("2024 + 35%") == "en"


def test_split_chinese_and_western_punctuation() -> None:
    text = "你好，世界！今天天气很好。真的吗？Yes! It is. 最后；一句"
    assert split_sentences(text) == ["你好，世界！", "今天天气很好。", "真的吗？", "Yes!", "It is.", "最后；", "一句"]


def test_split_keeps_decimals_abbreviations_and_initials() -> None:
    text = "Dr. Smith paid 3.14 dollars at example.com today. J. R. R. Tolkien wrote it. Next"
    assert split_sentences(text) == [
        "Dr. Smith paid 3.14 dollars at example.com today.",
        "J. R. R. Tolkien wrote it.",
        "Next",
    ]


def test_split_at_line_breaks_and_keeps_closing_quotes() -> None:
    assert split_sentences('He said "stop." Then\nleft') == ['He said "stop."', "Then", "left"]
    assert split_sentences("他说：“好。”然后走了") == ["他说：“好。”", "然后走了"]


def test_split_drops_pieces_without_words() -> None:
    assert split_sentences("... !!! 。。。") == []
    assert split_sentences("Hi. ... Bye.") == ["Hi.", "Bye."]


def test_long_sentences_are_cut_at_commas_then_anywhere() -> None:
    clause = "这是一个很长的句子，"
    text = clause * 40 + "完。"
    pieces = split_text(text)
    assert len(pieces) > 1
    assert all(weight(p.text) <= MAX_PIECE_WEIGHT for p in pieces)
    assert [p.ends_sentence for p in pieces] == [False] * (len(pieces) - 1) + [True]
    assert "".join(p.text for p in pieces) == text  # nothing lost or duplicated
    unbroken = "字" * 500
    assert "".join(p.text for p in split_text(unbroken)) == unbroken
    words = "word " * 200
    assert all(weight(p.text) <= MAX_PIECE_WEIGHT for p in split_text(words))
    assert " ".join(p.text for p in split_text(words)) == words.strip()
