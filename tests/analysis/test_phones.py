"""Phone decoding in pieces: cut in pauses, decoded by worker processes, the same labels as here."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from heygem.analysis import phone_decoder, phones
from heygem.media.decode import load_audio

RATE = 16000


def test_long_audio_is_cut_in_its_pauses():
    rng = np.random.default_rng(0)
    seconds = 40
    samples = (0.3 * rng.normal(size=seconds * RATE)).astype(np.float32)
    pauses = [(13.9, 14.4), (29.5, 30.1)]  # near each 15 s mark
    for start, end in pauses:
        samples[int(start * RATE) : int(end * RATE)] = 0.0
    starts = phones.piece_starts(samples)
    assert len(starts) == 3 and starts[0] == 0
    for cut, (start, end) in zip(starts[1:], pauses):
        assert start * 100 <= cut <= end * 100
    assert phones.piece_starts(samples[: 20 * RATE]) == [0]  # too short to cut: one piece


@pytest.fixture(scope="module")
def long_speech(testmedia):
    """~40 s of real speech with short pauses: three pieces."""
    clips = [load_audio(path, RATE) for path in sorted((testmedia / "audio").glob("en_*.wav"))]
    pause = np.zeros(RATE // 3, np.float32)
    return np.concatenate([part for clip in clips * 2 for part in (clip, pause)])[: 40 * RATE]


def test_workers_decode_the_pieces_as_this_process_would(long_speech, monkeypatch):
    assert len(phones.piece_starts(long_speech)) == 3
    if phone_decoder.cores() < 2:
        pytest.skip("one core: the pieces are decoded here anyway")
    phone_decoder.close_workers()
    in_new_workers = phones.phone_segments(long_speech)
    assert phones.phone_segments(long_speech) == in_new_workers  # the workers are kept and reused
    monkeypatch.setattr(phone_decoder, "MAX_WORKERS", 1)
    assert phones.phone_segments(long_speech) == in_new_workers
    labels = {phone for phone, _, _ in in_new_workers}
    assert {"SIL"} < labels and len(labels) > 10  # real phones, not only silence
    ends = [last for _, _, last in in_new_workers]
    assert ends == sorted(ends) and ends[-1] >= len(long_speech) / RATE * 100 - 50


def test_workers_are_kept_for_the_next_job(long_speech):
    if phone_decoder.cores() < 2:
        pytest.skip("one core: no workers")
    phone_decoder.close_workers()
    phones.phone_segments(long_speech)
    kept = [worker._process.pid for worker in phone_decoder._idle_workers]
    assert len(kept) == 2 and all(worker._process.poll() is None for worker in phone_decoder._idle_workers)
    phones.phone_segments(long_speech)
    assert sorted(worker._process.pid for worker in phone_decoder._idle_workers) == sorted(kept)
    phone_decoder.close_workers()
    assert not phone_decoder._idle_workers


def test_a_worker_starts_without_numpy():
    """Importing numpy (and starting its BLAS threads) would cost every worker ~0.2 s of CPU."""
    script = ("import sys, heygem.analysis.phone_decoder as d; d._new_decoder(); "
              "print(sorted(m for m in sys.modules if m.split('.')[0] == 'numpy'))")
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONPATH": phone_decoder.PACKAGE_ROOT})
    assert loaded.stdout.strip() == "[]"


def test_a_failing_worker_leaves_the_decoding_to_this_process(long_speech, monkeypatch, caplog):
    if phone_decoder.cores() < 2:
        pytest.skip("one core: no workers")
    piece = long_speech[: 8 * RATE]
    expected = phone_decoder.decoded_here([piece])
    phone_decoder.close_workers()
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with caplog.at_level(logging.WARNING, "heygem.phones"):
        assert phone_decoder.decode_pieces([piece, piece]) == expected * 2
    assert "phone decoding worker failed" in caplog.text
    assert not phone_decoder._idle_workers  # a failed worker is not kept


def test_a_module_in_the_working_directory_does_not_break_the_workers(long_speech, tmp_path, monkeypatch, caplog):
    """A job started in a folder holding e.g. a json.py: the workers still import the real one."""
    if phone_decoder.cores() < 2:
        pytest.skip("one core: no workers")
    piece = long_speech[: 8 * RATE]
    expected = phone_decoder.decoded_here([piece])
    (tmp_path / "json.py").write_text("raise ImportError('the json.py of the working directory')\n")
    monkeypatch.chdir(tmp_path)
    phone_decoder.close_workers()
    with caplog.at_level(logging.WARNING, "heygem.phones"):
        assert phone_decoder.decode_pieces([piece, piece]) == expected * 2
    assert "worker failed" not in caplog.text
    assert len(phone_decoder._idle_workers) == 2
    phone_decoder.close_workers()


def test_a_piece_decodes_the_same_whatever_was_decoded_before_it(long_speech):
    """One decoder runs through a worker's pieces (loading its model once); each piece still gets
    the labels a new decoder gives it."""
    first, second = long_speech[: 12 * RATE], long_speech[20 * RATE : 32 * RATE]
    alone = [phone_decoder.decoded_here([first])[0], phone_decoder.decoded_here([second])[0]]
    assert alone[0] != alone[1]
    assert phone_decoder.decoded_here([second, first, second]) == [alone[1], alone[0], alone[1]]


def test_the_decoder_reads_no_words_and_labels_as_with_the_whole_dictionary(long_speech, monkeypatch):
    """All-phone decoding looks up no words: without English's dictionary a decoder starts ~10x
    faster, and every label stays the same."""
    from pocketsphinx import get_model_path

    pieces = [long_speech[: 12 * RATE], long_speech[20 * RATE : 32 * RATE]]
    monkeypatch.setattr(phone_decoder, "_idle_decoders", [])  # new decoders, as configured now
    without_words = phone_decoder.decoded_here(pieces)
    assert phone_decoder._idle_decoders[0].lookup_word("hello") is None
    monkeypatch.setattr(phone_decoder, "_idle_decoders", [])
    monkeypatch.setattr(phone_decoder, "NO_WORDS", Path(get_model_path()) / "en-us" / "cmudict-en-us.dict")
    assert phone_decoder.decoded_here(pieces) == without_words
    assert phone_decoder._idle_decoders[0].lookup_word("hello") == "HH AH L OW"
    assert len({phone for piece in without_words for phone, _, _ in piece}) > 10
