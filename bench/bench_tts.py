"""Text-to-speech speed per voice: real-time factor and first-audio latency (medians).

    python bench/bench_tts.py [--runs 5] [--voices en-joe,zh-espeak]

RTF = synthesis time / audio duration (below 1 is faster than real time). First audio = time
until the first sentence is ready, which is what a streaming caller waits. The first call of
each voice (model load) is reported separately as "load" and left out of the medians.
"""

from __future__ import annotations

import argparse
import statistics
import time

from heygem.tts import iter_speech, list_voices, missing_packages

TEXTS = {
    "zh": {
        "short": "大家好，欢迎使用HeyGem数字人。",
        "long": (
            "大家好，欢迎使用HeyGem数字人。只需要一段模板视频和一段文字，就能生成同一个人说新台词的视频。"
            "整个过程完全在本地运行，不需要联网，也不会上传任何数据。2024年，我们的用户增长了35%，"
            "其中超过一半的人用它来制作课程视频。接下来，我们会支持更多的声音和语言，"
            "并继续提高口型同步的准确度。如果你有任何建议，欢迎在项目主页上告诉我们。谢谢大家！"
        ),
    },
    "en": {
        "short": "Hello, and welcome to HeyGem.",
        "long": (
            "Hello, and welcome to HeyGem. With one template video and a few lines of text, it makes a "
            "video of the same person saying the new words. Everything runs on your own machine, with no "
            "network and no uploads. In 2024 our users grew by 35%, and more than half of them made "
            "course videos with it. Next, we will add more voices and languages, and keep improving how "
            "closely the lips follow the speech. If you have ideas, tell us on the project page. Thank you!"
        ),
    },
}


def measure(text: str, voice: str) -> tuple[float, float, float]:
    """(first-audio latency s, total time s, audio duration s) of one synthesis."""
    start = time.perf_counter()
    first = None
    duration = 0.0
    for piece in iter_speech(text, voice):
        if first is None:
            first = time.perf_counter() - start
        duration += piece.duration
    total = time.perf_counter() - start
    return first or total, total, duration


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--voices", help="comma-separated names (default: every installed offline voice)")
    args = parser.parse_args()
    voices = [v for v in list_voices(include_online=False) if missing_packages(v) is None]
    if args.voices:
        wanted = args.voices.split(",")
        voices = [v for v in voices if v.name in wanted]

    header = f"{'voice':<18} {'engine':<10} {'load s':>7} {'text':<6} {'audio s':>8} {'first audio s':>14} {'RTF':>7}"
    print(header)
    print("-" * len(header))
    for voice in voices:
        start = time.perf_counter()
        measure(TEXTS[voice.language]["short"], voice.name)  # loads the model
        load = time.perf_counter() - start
        for kind in ("short", "long"):
            runs = [measure(TEXTS[voice.language][kind], voice.name) for _ in range(args.runs)]
            first = statistics.median(r[0] for r in runs)
            audio = statistics.median(r[2] for r in runs)
            rtf = statistics.median(r[1] / r[2] for r in runs)
            load_cell = f"{load:7.2f}" if kind == "short" else " " * 7
            print(f"{voice.name:<18} {voice.engine:<10} {load_cell} {kind:<6} {audio:8.2f} {first:14.3f} {rtf:7.3f}")


if __name__ == "__main__":
    main()
