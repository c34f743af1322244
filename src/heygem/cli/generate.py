"""heygem generate --video TEMPLATE --audio AUDIO -o OUT.mp4"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Settings
from ..options import DEFAULTS, SPEAKERS, SUBTITLE_MODES, TEMPLATE_SYNCS

if TYPE_CHECKING:
    from ..options import GenerateOptions


def add(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="make one video: the template's person speaking the audio")
    p.add_argument("--video", required=True, help="template video of the person talking")
    speech = p.add_mutually_exclusive_group(required=True)
    speech.add_argument("--audio", help="driving speech (wav, mp3, m4a, aac, flac, ogg, or a video's track)")
    speech.add_argument("--text", help="words to speak instead of --audio (Mandarin or English, offline)")
    p.add_argument("--voice", default=None, help="voice for --text (see `heygem voices`; default: by the text's language)")
    p.add_argument("--speed", type=float, default=1.0, help="speaking speed for --text, 0.5 to 2.0 (default 1.0)")
    p.add_argument("-o", "--output", required=True, help="output .mp4 path (.webm or .mov with --background transparent)")
    add_subtitle_args(p)
    add_render_args(p)
    p.add_argument("--checkpoint", default=None, metavar="PATH",
                   help="Wav2Lip checkpoint (default $HEYGEM_WAV2LIP_CHECKPOINT or <data>/models/wav2lip*.pth)")


def add_render_args(p: argparse.ArgumentParser) -> None:
    """Engine, device, encoding and background flags (`generate` and `batch`), defaulting to GenerateOptions'."""
    p.add_argument("--engine", default=DEFAULTS.engine, help="lip-sync engine (see `heygem engines`)")
    p.add_argument("--device", default=None, help="auto | cpu | cuda | cuda:N (default auto)")
    p.add_argument("--batch-size", type=int, default=DEFAULTS.batch_size,
                   help="frames per engine call (default %(default)s)")
    p.add_argument("--crf", type=int, default=DEFAULTS.encode.crf,
                   help="x264 quality, lower is better (default %(default)s)")
    p.add_argument("--preset", default=DEFAULTS.encode.preset,
                   help="x264 preset, ultrafast ... veryslow (default %(default)s)")
    p.add_argument("--engine-option", action="append", default=[], metavar="KEY=VALUE",
                   help="engine-specific setting, e.g. checkpoint=/models/wav2lip_gan.pth")
    p.add_argument("--template-sync", choices=TEMPLATE_SYNCS, default=DEFAULTS.template_sync,
                   help="a template whose picture and sound are apart: keep its timing (default) or align its "
                        "soundtrack with its picture first, so the video keeps in sync with the new speech")
    p.add_argument("--speaker", choices=SPEAKERS, default=DEFAULTS.speaker,
                   help="who speaks the new speech: the template's person (default: the mouths also follow what "
                        "was learned from the template's own voice) or another person (the general model alone, "
                        "closer for other voices); synthesised speech always counts as another voice")
    add_background(p)


def add_background(p: argparse.ArgumentParser) -> None:
    p.add_argument("--background", default=DEFAULTS.background, metavar="BG",
                   help="behind the person: keep (default), green, blue, #RRGGBB, blur, IMAGE_FILE (scaled "
                        "to cover), or transparent (a video with alpha: .webm VP9, or ProRes 4444 for .mov)")


def add_subtitle_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--subtitles", choices=SUBTITLE_MODES, default=DEFAULTS.subtitles,
                   help="subtitles: a .srt or .vtt file beside the video, or burn (drawn into the picture, "
                        "plus the .srt); default none")
    script = p.add_mutually_exclusive_group()
    script.add_argument("--script", help="the words spoken in --audio, to time subtitles by")
    script.add_argument("--script-file", metavar="PATH", help="like --script, read from a UTF-8 text file")


def read_script(args: argparse.Namespace) -> str | None:
    """The --script text, or the contents of --script-file."""
    from ..errors import InputError

    if args.subtitles == "none" and (args.script is not None or args.script_file is not None):
        raise InputError("--script/--script-file time subtitles: add --subtitles srt, vtt or burn")
    if args.script_file is None:
        return args.script
    try:
        return Path(args.script_file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the script file (UTF-8 text expected): {args.script_file}: {exc}") from exc


def render_options(args: argparse.Namespace, device: str = "auto",
                   extra: tuple[tuple[str, str], ...] = ()) -> GenerateOptions:
    """The options the flags of add_render_args() and add_subtitle_args() chose; `extra`: more engine options."""
    from ..options import EncodeOptions, GenerateOptions

    return GenerateOptions(
        engine=args.engine, device=device, batch_size=args.batch_size,
        encode=EncodeOptions(crf=args.crf, preset=args.preset),
        engine_options=engine_options(args.engine_option) + extra,
        subtitles=args.subtitles, script=read_script(args), background=args.background,
        template_sync=args.template_sync, speaker=args.speaker,
    )


def engine_options(pairs: list[str]) -> tuple[tuple[str, str], ...]:
    from ..errors import InputError

    out = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError(f"engine option must be KEY=VALUE, got {pair!r}")
        out.append((key.strip(), value.strip()))
    return tuple(out)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from .. import devices, pipeline
    from ..render import background
    from ..service.request import JobRequest
    from .progress import TerminalProgress

    background.check_output(background.parse(args.background), args.output)  # before any work
    device = devices.report(args.device or settings.device)
    print(device.message)
    checkpoint = (("checkpoint", args.checkpoint),) if args.checkpoint else ()
    # The job service's rules, though this runs here rather than through the queue.
    request = JobRequest(args.video, args.audio, args.text, args.voice,
                         options=render_options(args, device.device, checkpoint))
    with tempfile.TemporaryDirectory(prefix="heygem-tts-") as tmp:
        audio = request.audio
        if request.text is not None:
            from ..tts import synthesize, write_wav
            from ..tts.sidecars import save_timings

            speech = synthesize(request.text, request.voice, args.speed)
            audio = write_wav(speech, Path(tmp) / "speech.wav")
            save_timings(speech, audio)
            print(f"speech: {speech.duration:.1f} s, voice {speech.voice}")
        with TerminalProgress() as progress:
            result = pipeline.run(request.video, audio, args.output, request.options, settings, progress)
    if result.subtitles is not None:
        print(f"wrote {result.subtitles}")
    print(
        f"wrote {result.output}: {result.frames} frames ({result.frames / float(result.fps):.1f} s of video at "
        f"{float(result.fps):.2f} fps), made in {result.seconds:.1f} s ({result.render_fps:.1f} frames/s) on "
        f"{result.device}, engine {result.engine}"
    )
    return 0
