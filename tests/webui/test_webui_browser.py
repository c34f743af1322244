"""End to end in a real headless browser (Debian's chromium driven by Playwright) against a real server.

Screenshots go to test-artifacts/webui/ for people to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import urlopen

import av
import pytest

from heygem.service import JobService, JobStatus

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "webui"
# Flags that keep the browser itself from calling out (updates, sync, field trials), so the request
# log below only holds what the page asks for.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WAIT_MS = 60_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed (apt-get install chromium)"),
]
pytest.importorskip("gradio", reason="gradio (the web UI) is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
expect = sync_api.expect


TOKEN = "webui-test-token"


class LiveServer:
    """`heygem serve` in its own process on 127.0.0.1 and a free port, exactly as users start it,
    with an access token (so the test also shows the UI and its downloads work behind one)."""

    def __init__(self, data_dir: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/"
        self.log = data_dir.parent / "serve.out"
        env = {**os.environ, "HEYGEM_DATA_DIR": str(data_dir), "HEYGEM_API_TOKEN": TOKEN, "HEYGEM_DEVICE": "cpu"}
        command = [sys.executable, "-c", "from heygem.cli import entry; entry()", "serve", "--port", str(port)]
        with self.log.open("w") as out:
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            try:
                urlopen(f"{self.url}api/v1/health?token={TOKEN}", timeout=5).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"heygem serve did not come up:\n{self.log.read_text()}") from None
                time.sleep(0.3)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture
def ui(settings):
    server = LiveServer(settings.data_dir)
    yield server
    server.stop()


@pytest.fixture
def jobs(settings):
    """The server's jobs, read from its data dir (a service that is not started runs nothing)."""
    service = JobService(settings, device="cpu")
    yield service
    service.close()


def open_ui(page, ui) -> None:
    page.goto(f"{ui.url}?token={TOKEN}")  # sets the token cookie, then the page loads without it in the URL
    page.locator("#engine input").click()
    page.get_by_role("option", name=re.compile(r"^loop")).click()


@pytest.fixture(scope="module")
def artifacts() -> Path:
    """Emptied once per run, so every test's screenshots stay side by side."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture
def page(artifacts):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.requested = []  # every URL the page asked for
        page.on("request", lambda request: page.requested.append(request.url))
        yield page
        browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def upload(page, elem_id: str, *paths: Path) -> None:
    page.locator(f"#{elem_id} input[type=file]").set_input_files([str(p) for p in paths])


def playable(path: Path) -> tuple[int, bool]:
    """(decoded video frames, has an audio stream)."""
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0)), bool(container.streams.audio)


def test_batch_download_delete_and_log_in_a_browser(ui, page, jobs, media, tmp_path):
    open_ui(page, ui)

    page.get_by_role("tab", name="批量 Batch").click()
    upload(page, "batch-one-audio", media["audio"])
    expect(page.locator("#batch-one-info")).to_contain_text("news.wav: 0.4 s")
    upload(page, "batch-add-templates", media["video"], media["video2"], media["corrupt"])
    listing = page.locator("#batch-list")
    expect(listing.get_by_label("studio.mp4")).to_be_visible()
    # A file that is not a video is refused with a message (ours, in both languages), not a traceback.
    expect(page.locator("#batch-list-note")).to_contain_text("无法读取文件 cannot read file broken.mp4")
    expect(listing.get_by_label("broken.mp4")).to_have_count(0)
    # The list can be edited before starting: add one more, then remove it again.
    upload(page, "batch-add-templates", media["video3"])
    listing.get_by_label("extra.mp4").check()
    page.locator("#batch-remove").click()
    expect(listing.get_by_label("extra.mp4")).to_have_count(0)
    expect(listing.get_by_label("anchor.mp4")).to_be_visible()
    # A wrong kind of file never reaches the server: Gradio names the accepted types.
    upload(page, "batch-add-templates", media["text"])
    expect(page.get_by_text("Invalid file type: notes.txt")).to_be_visible()
    shot(page, "1-batch-ready")

    page.locator("#batch-start").click()
    progress = page.locator("#batch-progress")
    expect(progress).to_contain_text("(2/2)")
    expect(progress).to_contain_text("全部结束 all finished: 2/2", timeout=WAIT_MS)
    links = page.locator("#batch-progress a.heygem-download")
    expect(links).to_have_count(2)
    expect(links.first).to_have_attribute("download", "anchor + news.mp4")
    with page.expect_download() as download:  # a result on its own, under its readable name
        links.nth(1).click()
    assert download.value.suggested_filename == "studio + news.mp4"
    download.value.save_as(tmp_path / "one.mp4")
    assert playable(tmp_path / "one.mp4") == (10, True)
    shot(page, "2-batch-done")

    page.locator("#batch-zip").click()
    with page.expect_download() as download:
        page.locator("#batch-zip-file a").first.click()
    archive = tmp_path / "batch.zip"
    download.value.save_as(archive)
    with zipfile.ZipFile(archive) as z:
        assert sorted(z.namelist()) == ["anchor + news.mp4", "studio + news.mp4"]
        z.extractall(tmp_path / "unzipped")
    for name in ("anchor + news.mp4", "studio + news.mp4"):
        assert playable(tmp_path / "unzipped" / name) == (10, True)

    # A reload loses nothing: the page finds its batch again in the service.
    page.reload()
    page.get_by_role("tab", name="批量 Batch").click()
    expect(page.locator("#batch-progress")).to_contain_text("全部结束 all finished: 2/2")

    page.get_by_role("tab", name="历史 History").click()
    expect(page.locator("#history-head")).to_contain_text("2 jobs")
    page.locator("#history-pick input").click()
    page.get_by_role("option", name=re.compile(r"^studio \+ news")).click()
    expect(page.locator("#history-player video")).to_have_count(1)
    shot(page, "3-history-preview")
    page.locator("#history-delete-one").click()
    expect(page.locator("#history-confirm-text")).to_contain_text("Delete 1 job(s)?")
    shot(page, "4-history-confirm")
    page.locator("#history-confirm").click()
    expect(page.locator("#history-message")).to_contain_text("Deleted 1 job(s)")
    expect(page.locator("#history-head")).to_contain_text("1 jobs")
    left, total = jobs.list()
    assert total == 1 and left[0].name == "anchor + news" and left[0].status is JobStatus.SUCCEEDED
    assert sorted(jobs.settings.outputs_dir.glob("*.mp4")) == [left[0].output]  # its video went too
    page.locator("#history-select").get_by_label("anchor + news").check()
    page.locator("#history-zip-selected").click()
    with page.expect_download() as download:
        page.locator("#history-zip-file a").first.click()
    download.value.save_as(tmp_path / "selected.zip")
    with zipfile.ZipFile(tmp_path / "selected.zip") as z:
        assert z.namelist() == ["anchor + news.mp4"]
    shot(page, "5-history-after-delete")

    page.get_by_role("tab", name="系统 System").click()
    expect(page.locator("#system-info")).to_contain_text("Device")
    expect(page.locator("#system-log textarea")).to_have_value(re.compile(r"job \w+ deleted"))
    shot(page, "6-system")

    hosts = {urlparse(url).hostname for url in page.requested if url.startswith("http")}
    assert hosts == {"127.0.0.1"}, f"the page called out to {hosts - {'127.0.0.1'}}"


def test_single_previews_inputs_and_plays_the_result(ui, page, media):
    open_ui(page, ui)
    upload(page, "single-template", media["video"])
    expect(page.locator("#single-template-info")).to_contain_text("anchor.mp4: 0.4 s · 64×48 · 25 fps")
    upload(page, "single-audio", media["corrupt"].rename(media["corrupt"].with_suffix(".wav")))
    expect(page.locator("#single-audio-info")).to_contain_text("无法读取文件 cannot read file broken.wav")
    page.locator("#single-audio button[aria-label=Clear]").click()
    expect(page.locator("#single-audio-info")).to_be_empty()
    page.get_by_text("输入文字 Type text").click()  # text to speech instead of a file (voices are installed)
    expect(page.get_by_label("要说的文字 Text to speak")).to_be_visible()
    expect(page.locator("#single-audio")).to_be_hidden()
    expect(page.locator("#single-other-speaker")).to_be_hidden()  # typed text is always another voice
    page.get_by_text("音频文件 Audio file").click()
    expect(page.locator("#single-other-speaker")).to_be_visible()
    upload(page, "single-audio", media["audio2"])
    expect(page.locator("#single-audio-info")).to_contain_text("weather.mp3: 0.6 s")
    page.locator("#single-generate").click()
    expect(page.locator("#single-status a.heygem-download")).to_have_text("⬇ anchor + weather.mp4")
    expect(page.locator("#single-result video")).to_have_count(1)
    shot(page, "7-single-done")
