"""analyze --wav reads the file in blocks (musicpipe.audio.measure): the same figures as the
whole file measured at once, an empty file measured as silence, a sample that is not a
number one line with exit 65; and the progress bar, which only a terminal sees."""

from __future__ import annotations

import io

import numpy as np
import orjson
import soundfile

from musicpipe.audio import loudness, measure, progress
from tests.conftest import sh
from tests.test_abort import needs_font

RATE = 44100


def test_blocks_give_the_whole_files_figures(monkeypatch):
    rng = np.random.default_rng(3)
    audio = (0.1 * rng.standard_normal((RATE * 5 + 123, 2))).astype("float32")
    audio[RATE * 3:RATE * 4] *= 0.01
    data = io.BytesIO()
    soundfile.write(data, audio, RATE, format="WAV", subtype="FLOAT")
    monkeypatch.setattr(measure, "READ", 10000)  # blocks that cut seconds and gating blocks
    got = measure.file_levels(io.BytesIO(data.getvalue()))
    seconds = [loudness.integrated(audio[i:i + RATE], RATE) for i in range(0, 5 * RATE, RATE)]
    assert got == {"integrated_lufs": round(loudness.integrated(audio, RATE), 2),
                   "true_peak_dbtp": round(loudness.true_peak(audio), 2),
                   "last_second_lufs": round(loudness.integrated(audio[-RATE:], RATE), 2),
                   "loudest_second_lufs": round(max(seconds), 2)}


@needs_font
def test_empty_and_nan_files(tmp_path):
    soundfile.write(tmp_path / "empty.wav", np.zeros((0, 2)), RATE)
    nan = np.zeros((RATE, 2), dtype="float32")
    nan[100, 1] = np.nan
    soundfile.write(tmp_path / "nan.wav", nan, RATE, subtype="FLOAT")
    stream = sh("seq C4 E4 G4").stdout
    sh(f"analyze --wav {tmp_path}/empty.wav --json {tmp_path}/r.json", input=stream)
    assert orjson.loads((tmp_path / "r.json").read_bytes())["loudness"] == {
        "integrated_lufs": None, "true_peak_dbtp": None, "last_second_lufs": None,
        "loudest_second_lufs": None}
    proc = sh(f"analyze --wav {tmp_path}/nan.wav", input=stream, check=False)
    err = proc.stderr.decode().splitlines()
    assert proc.returncode == 65 and err[-1] == (
        f"analyze: --wav {tmp_path}/nan.wav: frame 100 holds a sample that is not a number "
        "(NaN or infinite): no loudness can be measured"), err


def test_progress_shows_after_a_few_seconds_with_the_time_left(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])
    out = io.StringIO()
    out.isatty = lambda: True
    bar = progress.bar("to-wav", out)
    bar(0.1)
    assert out.getvalue() == ""  # quick work shows nothing
    clock[0] += 4.0
    bar(0.25)
    assert out.getvalue().startswith("\rto-wav: [#######.") and "0:12 left" in out.getvalue()
    clock[0] += 12.0
    bar(1.0)
    assert out.getvalue().endswith("100% 16 s   \n")
    assert progress.bar("to-wav", io.StringIO()) is None  # not a terminal: no bar at all
