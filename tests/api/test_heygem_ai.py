"""`serve --heygem-ai`: the HeyGem.ai desktop client's own flow, replayed against real servers.

The replay sends what the client's code sends (src/main/service/video.js, voice.js, model.js,
api/f2f.js, api/tts.js of duixcom/Duix-Avatar), polls /easy/query the way its loop does, and, like
the client, opens the finished video from disk at path.join(<data>/face2face/temp, data.result)
and reads the duration of its first stream.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import posixpath
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import wave
from pathlib import Path

import av
import httpx
import pytest
from mediafactory import speechlike, write_audio, write_video

from heygem.api import create_app
from heygem.api.heygem_ai import DesktopClient
from heygem.api.heygem_ai.servers import Servers, listen
from heygem.api.heygem_ai.tts import tts_app
from heygem.api.heygem_ai.video import video_app
from heygem.config import Settings
from heygem.errors import HeyGemError
from heygem.service import JobService

FAILED_CODES = (9999, 10002, 10003)  # what the client's loopPending treats as failed


@dataclasses.dataclass
class Backend:
    """The three servers of `serve --heygem-ai`, in one thread and one event loop, as serve runs them."""

    settings: Settings
    client: DesktopClient
    service: JobService
    servers: Servers
    thread: threading.Thread
    api: httpx.Client
    video: httpx.Client
    tts: httpx.Client

    def stop(self) -> None:
        for http in (self.api, self.video, self.tts):
            http.close()
        self.servers.stop()
        self.thread.join(30)
        self.service.close()


def start_backend(data: Path, client_data: Path, runner, **settings) -> Backend:
    settings = Settings(data_dir=data, device="cpu", **settings)
    sockets = [listen("127.0.0.1", 0, what, "-") for what in ("api", "video", "tts")]
    ports = [sock.getsockname()[1] for sock in sockets]
    client = DesktopClient(client_data, ports[1], ports[2])
    client.make_folders()
    service = JobService(settings, runner=runner)
    service.start()
    apps = [create_app(settings, service), video_app(settings, service, client), tts_app(service.settings, client)]
    servers = Servers(list(zip(apps, sockets)))
    thread = threading.Thread(target=servers.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not servers.started:
        assert thread.is_alive() and time.monotonic() < deadline, "servers did not start"
        time.sleep(0.02)
    # The client's axios instance: 30 min timeout, no token, JSON bodies.
    clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) for port in ports]
    return Backend(settings, client, service, servers, thread, *clients)


@pytest.fixture
def backend(tmp_path, face_free_runner):
    started = start_backend(tmp_path / "data", tmp_path / "duix_avatar_data", face_free_runner)
    yield started
    started.stop()


def node_join(*parts: str) -> str:
    """Node's path.join (posix): unlike os.path.join, a later absolute part does not reset the path."""
    return posixpath.normpath("/".join(parts))


def timestamp_name(ext: str) -> str:
    """The client's file names: dayjs().format('YYYYMMDDHHmmssSSS') + ext, plus a counter for tests."""
    timestamp_name.count += 1
    return time.strftime("%Y%m%d%H%M%S") + f"{timestamp_name.count:03d}{ext}"


timestamp_name.count = 0


def first_stream_duration(path: str) -> float:
    """What the client's getVideoDuration reads: ffprobe's streams[0].duration."""
    with av.open(path) as container:
        stream = container.streams[0]
        return float(stream.duration * stream.time_base)


def add_model(backend: Backend, template: Path) -> str:
    """The client's addModel: copy the template into face2face/temp under a timestamp name."""
    name = timestamp_name(template.suffix)
    shutil.copy(template, backend.client.video_dir / name)
    return name


def make_video(backend: Backend, audio_path: str, video_path: str, remove_video: bool = False, **extra: str,
               ) -> tuple[str, list[dict]]:
    """makeVideoByF2F + loopPending: submit, poll until done, open the result from disk.
    Returns (the file the client opens, the status-1 answers it showed). `remove_video`: delete the
    template right after submitting, as the client does with the video it makes from a photo;
    `extra`: fields of ours the client does not send (background, subtitles)."""
    param = {"audio_url": audio_path, "video_url": video_path, "code": str(uuid.uuid4()), "chaofen": 0,
             "watermark_switch": 0, "pn": 1, **extra}
    result = backend.video.post("/easy/submit", json=param).json()
    assert result["code"] == 10000, result
    if remove_video:
        os.remove(backend.client.video_dir / video_path)
    shown = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = backend.video.get(f"/easy/query?code={param['code']}").json()
        assert status["code"] not in FAILED_CODES, status
        assert status["code"] == 10000
        if status["data"]["status"] == 1:
            shown.append(status["data"])
        elif status["data"]["status"] == 2:
            return node_join(str(backend.client.video_dir), status["data"]["result"]), shown
        else:
            pytest.fail(f"task failed: {status}")
        time.sleep(0.1)  # the client waits 2 s
    pytest.fail("task did not finish")


def test_audio_job_like_the_desktop_client(backend, tiny_media):
    template, speech = tiny_media
    video_path = add_model(backend, template)
    # saveVideo -> copyAudio4Video: the user's audio is copied into face2face/temp.
    audio_path = timestamp_name(".wav")
    shutil.copy(speech, backend.client.video_dir / audio_path)

    result_file, shown = make_video(backend, audio_path, video_path, remove_video=True)
    assert Path(result_file).parent == backend.client.video_dir
    assert first_stream_duration(result_file) == pytest.approx(2.0, abs=0.1)  # the speech's length
    for data in shown:  # what the client displays while waiting
        assert isinstance(data["msg"], str) and 0 <= data["progress"] <= 100
    # The job is ours too: in the history on the main port, with its file in outputs/.
    jobs = backend.api.get("/api/v1/jobs").json()
    assert [job["status"] for job in jobs["items"]] == ["succeeded"]
    assert not list(backend.client.video_dir.glob(".*.part"))  # written whole, then renamed


def test_a_transparent_result_is_delivered_as_webm(backend, tiny_media):
    template, speech = tiny_media
    audio_path = timestamp_name(".wav")
    shutil.copy(speech, backend.client.video_dir / audio_path)
    result_file, _ = make_video(backend, audio_path, add_model(backend, template), background="transparent")
    assert result_file.endswith("-r.webm")
    with av.open(result_file) as container:
        assert container.format.name.startswith("matroska,webm")
        assert container.streams.video[0].codec_context.name in ("vp9", "libvpx-vp9")


def test_text_job_like_the_desktop_client(backend, tmp_path, caplog):
    # addModel: the template goes to face2face/temp, its sound to voice/data/origin_audio, then
    # train(relativeAudioPath, 'zh') -> /v1/preprocess_and_tran.
    template = write_video(tmp_path / "model.mp4", 25, audio=speechlike(1.0, 44100), audio_rate=44100)
    video_path = add_model(backend, template)
    origin = backend.client.voice_dir / "origin_audio"
    origin.mkdir()
    shutil.copy(write_audio(tmp_path / "voice.wav", speechlike(1.0, 44100), 44100),
                origin / video_path.replace(".mp4", ".wav"))
    relative_audio = f"origin_audio/{video_path.replace('.mp4', '.wav')}"
    trained = backend.tts.post("/v1/preprocess_and_tran",
                               json={"format": "wav", "reference_audio": relative_audio, "lang": "zh"}).json()
    assert trained["code"] == 0, trained
    assert trained["reference_audio_text"] == ""  # no recogniser for Chinese
    with wave.open(str(backend.client.voice_dir / trained["asr_format_audio_url"])) as converted:
        assert (converted.getframerate(), converted.getnchannels()) == (16000, 1)

    # makeAudio4Video: /v1/invoke, the answer's bytes written to face2face/temp/<uuid>.wav.
    caplog.set_level(logging.WARNING, logger="heygem")
    for _ in range(2):  # the first time (an audition), then for the video
        speaker = str(uuid.uuid4())
        answer = backend.tts.post("/v1/invoke", json={
            "speaker": speaker, "text": "你好，欢迎使用。", "format": "wav", "topP": 0.7, "max_new_tokens": 1024,
            "chunk_length": 100, "repetition_penalty": 1.2, "temperature": 0.7, "need_asr": False,
            "streaming": False, "is_fixed_seed": 0, "is_norm": 1,
            "reference_audio": trained["asr_format_audio_url"], "reference_text": trained["reference_audio_text"]})
        assert answer.status_code == 200 and answer.headers["content-type"] == "audio/wav"
    assert caplog.text.count("voice cloning is not supported") == 1
    (backend.client.video_dir / f"{speaker}.wav").write_bytes(answer.content)
    with wave.open(io.BytesIO(answer.content)) as spoken:
        seconds = spoken.getnframes() / spoken.getframerate()
    assert 0.5 < seconds < 5

    result_file, _ = make_video(backend, f"{speaker}.wav", video_path)
    assert first_stream_duration(result_file) == pytest.approx(seconds, abs=0.1)


def test_english_reference_audio_gets_a_transcript(backend, testmedia):
    shutil.copy(testmedia / "audio" / "en_rates_5s.wav", backend.client.voice_dir / "rates.wav")
    trained = backend.tts.post("/v1/preprocess_and_tran",
                               json={"format": "wav", "reference_audio": "rates.wav", "lang": "en"}).json()
    assert trained["code"] == 0 and trained["asr_format_audio_url"] == "rates_16k.wav"
    assert {"benchmark", "rates"} <= set(trained["reference_audio_text"].split()), trained


def test_paths_stay_inside_the_client_folders(backend, tiny_media, tmp_path):
    template, speech = tiny_media
    video_path = add_model(backend, template)
    outside = write_audio(tmp_path / "outside.wav", speechlike(1.0))
    (backend.client.video_dir / "link.wav").symlink_to(outside)
    (backend.client.voice_dir / "link.wav").symlink_to(outside)
    # Files in our own media folder are not the client's: not reachable from its port either.
    for trick in ("../../outside.wav", str(outside), "link.wav", "/etc/passwd", "missing.wav"):
        answer = backend.video.post("/easy/submit", json={
            "audio_url": trick, "video_url": video_path, "code": "trick", "chaofen": 0, "watermark_switch": 0,
            "pn": 1}).json()
        assert answer["code"] == 10002, (trick, answer)
        refused = backend.tts.post("/v1/preprocess_and_tran",
                                   json={"format": "wav", "reference_audio": trick, "lang": "zh"})
        assert refused.status_code == 200 and refused.json()["code"] == -1 and refused.json()["message"]
    assert backend.video.get("/easy/query?code=trick").json()["code"] == 10004
    assert not list(tmp_path.glob("outside_16k.wav"))
    bad = backend.tts.post("/v1/invoke", json={"text": "", "format": "wav"})
    assert bad.status_code == 400 and bad.json()["code"] == -1


def test_token_guards_both_client_ports(tmp_path, face_free_runner):
    backend = start_backend(tmp_path / "data", tmp_path / "client", face_free_runner, api_token="secret")
    try:
        assert backend.video.get("/easy/query?code=x").status_code == 401
        assert backend.tts.post("/v1/invoke", json={"text": "hello", "format": "wav"}).status_code == 401
        auth = {"Authorization": "Bearer secret"}
        assert backend.video.get("/easy/query?code=x", headers=auth).json()["code"] == 10004
        assert backend.tts.post("/v1/invoke", json={"text": "hello"}, headers=auth).status_code == 200
    finally:
        backend.stop()


def test_size_limits(tmp_path, face_free_runner):
    backend = start_backend(tmp_path / "data", tmp_path / "client", face_free_runner, max_audio_bytes=50_000)
    try:
        write_audio(backend.client.voice_dir / "long.wav", speechlike(4.0))  # 128 kB
        refused = backend.tts.post("/v1/preprocess_and_tran", json={"reference_audio": "long.wav", "lang": "en"})
        assert refused.json()["code"] == -1 and "too big" in refused.json()["message"]
        assert not (backend.client.voice_dir / "long_16k.wav").exists()
        huge = backend.tts.post("/v1/invoke", json={"text": "a" * 1_100_000, "format": "wav"})
        assert huge.status_code == 413
    finally:
        backend.stop()


def slow_runner(video, audio, output, options, *rest):
    from heygem import pipeline

    slow = dataclasses.replace(options, engine="test-slow", engine_options=(("delay", "1.0"),))
    return pipeline.run(video, audio, output, slow, *rest)


def test_a_job_interrupted_by_a_restart_is_still_delivered(tmp_path, tiny_media, face_free_runner):
    data, client_data = tmp_path / "data", tmp_path / "duix_avatar_data"
    first = start_backend(data, client_data, slow_runner)
    template, speech = tiny_media
    video_path = add_model(first, template)
    shutil.copy(speech, first.client.video_dir / "speech.wav")
    code = str(uuid.uuid4())
    submitted = first.video.post("/easy/submit", json={"audio_url": "speech.wav", "video_url": video_path,
                                                       "code": code, "chaofen": 0, "watermark_switch": 0, "pn": 1})
    assert submitted.json()["code"] == 10000
    while first.video.get(f"/easy/query?code={code}").json()["data"]["progress"] == 0:
        time.sleep(0.05)
    # A second task while the first runs: HeyGem.ai would answer "busy"; it waits in the queue.
    waiting = str(uuid.uuid4())
    assert first.video.post("/easy/submit", json={"audio_url": "speech.wav", "video_url": video_path,
                                                  "code": waiting, "chaofen": 0, "watermark_switch": 0,
                                                  "pn": 1}).json()["code"] == 10000
    queued = first.video.get(f"/easy/query?code={waiting}").json()["data"]
    assert queued["status"] == 1 and queued["msg"]  # e.g. "waiting for a free cpu slot (1/1 busy)"
    first.stop()  # the server goes down mid-job: the job goes back to the queue
    assert not (client_data / "face2face" / "temp" / f"{code}-r.mp4").exists()

    second = start_backend(data, client_data, face_free_runner)
    try:
        deadline = time.monotonic() + 60
        while (status := second.video.get(f"/easy/query?code={code}").json())["data"]["status"] == 1:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert status["data"]["status"] == 2, status
        result = node_join(str(second.client.video_dir), status["data"]["result"])
        assert first_stream_duration(result) == pytest.approx(2.0, abs=0.1)
        second.service.wait([waiting], timeout=60)
        assert second.video.get(f"/easy/query?code={waiting}").json()["data"]["result"] == f"{waiting}-r.mp4"
    finally:
        second.stop()


def test_a_taken_port_is_named_with_its_setting():
    with listen("127.0.0.1", 0, "x", "-") as taken:
        with pytest.raises(HeyGemError, match=r"127.0.0.1:\d+ for the HeyGem.ai video service: .* "
                                              r"\(choose another port with --heygem-ai-video-port"):
            listen("127.0.0.1", taken.getsockname()[1], "the HeyGem.ai video service", "--heygem-ai-video-port")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_heygem_ai_process(tmp_path):
    """The real command: three ports up, the client's folders made, Ctrl-C stops all of them."""
    ports = [free_port() for _ in range(3)]
    env = {**os.environ, "HEYGEM_DATA_DIR": str(tmp_path / "data"), "HEYGEM_DEVICE": "cpu",
           "HEYGEM_AI_DATA": str(tmp_path / "client"), "HEYGEM_AI_TTS_PORT": str(ports[2])}
    env.pop("HEYGEM_API_TOKEN", None)
    command = [sys.executable, "-c", "from heygem.cli import entry; entry()", "serve", "--no-ui", "--heygem-ai",
               "--port", str(ports[0]), "--heygem-ai-video-port", str(ports[1])]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{ports[2]}/v1/invoke", timeout=5)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{ports[0]}/api/v1/health").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{ports[1]}/easy/query?code=x").json()["code"] == 10004
        assert (tmp_path / "client" / "face2face" / "temp").is_dir()
        assert (tmp_path / "client" / "voice" / "data").is_dir()
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert f"video service on :{ports[1]}, voice service on :{ports[2]}" in output


def test_client_ports_refuse_rebound_host_names_and_other_sites(backend):
    """Loopback-bound, both client ports answer only loopback Host names (DNS rebinding) and refuse
    requests a page from another site makes the browser send."""
    speak = {"text": "hello", "format": "wav"}
    assert backend.tts.post("/v1/invoke", json=speak, headers={"Host": "evil.example"}).status_code in (400, 403, 421)
    assert backend.video.get("/easy/query?code=x", headers={"Host": "evil.example"}).status_code in (400, 403, 421)
    refused = backend.tts.post("/v1/invoke", json=speak, headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403
    assert backend.tts.post("/v1/invoke", json=speak).status_code == 200  # the client sends no Origin
