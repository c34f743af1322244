"""One data folder shared by several processes (machines): two processes racing on one template
cache and one upload end with one complete, identical copy and no temp files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av

RACER = """
import json, sys, time
from pathlib import Path
from heygem.analysis import template
from heygem.config import Settings
from heygem.service.uploads import store_input

computed = []
analyze = template.analyze
def counted(*args, **kwargs):  # counts real analyses; the work itself is untouched
    computed.append(1)
    return analyze(*args, **kwargs)
template.analyze = counted

data, clip, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
settings = Settings(data_dir=data)
print("ready", flush=True)
while not go.exists():  # both start the same instant
    time.sleep(0.005)
upload = store_input(clip, "video", settings.uploads_dir)
result = template.load_or_analyze(upload, settings)
print(json.dumps({"computed": len(computed), "upload": str(upload), "sha": result.sha256,
                  "faces": int(result.has_face.sum()), "landmarks": result.landmarks.tolist()}))
"""


def excerpt(source: Path, target: Path, count: int = 8) -> Path:
    """The first frames of a real talking-head clip (a real face, analysed in moments)."""
    with av.open(str(source)) as src, av.open(str(target), "w") as dst:
        out = dst.add_stream("libx264", rate=25)
        for i, frame in enumerate(src.decode(video=0)):
            if i == count:
                break
            if i == 0:
                out.width, out.height, out.pix_fmt = frame.width, frame.height, "yuv420p"
            dst.mux(out.encode(av.VideoFrame.from_ndarray(frame.to_ndarray(format="rgb24"), format="rgb24")))
        dst.mux(out.encode(None))
    return target


def test_two_processes_racing_on_one_template_cache(testmedia, tmp_path):
    clip = excerpt(testmedia / "video" / "woman_glasses_en.mp4", tmp_path / "clip.mp4")
    data, go = tmp_path / "data", tmp_path / "go"
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(data), str(clip), str(go)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for racer in racers:
        assert racer.stdout.readline().strip() == "ready", racer.stderr.read()
    go.touch()
    results = []
    for racer in racers:
        out, err = racer.communicate(timeout=120)
        assert racer.returncode == 0, err
        results.append(json.loads(out))
    one, two = results
    assert one["computed"] + two["computed"] == 1  # one analysed, the other waited and reused it
    assert one["upload"] == two["upload"] and one["sha"] == two["sha"] and one["faces"] == two["faces"] > 0
    assert one["landmarks"] == two["landmarks"]
    assert sorted(p.name for p in (data / "templates" / one["sha"]).iterdir()) == [".lock", "analysis.npz", "meta.json"]
    assert [p.name for p in (data / "uploads").iterdir()] == [Path(one["upload"]).name]  # no temp copies left
