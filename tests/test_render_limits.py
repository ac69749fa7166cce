"""to-wav's honesty (issue 16): the rate in the header is the rate rendered, FluidSynth's own
messages become our one line, SIGTERM leaves no temporary file, and a render too long for
the disk it is kept on between its passes is refused before it starts."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import wave

import numpy as np
import pytest

from musicpipe.audio import synth
from musicpipe.errors import BadOption
from tests.conftest import ENV, ROOT, sh
from tests.test_abort import needs_font

pytestmark = needs_font


def _a4_hz(path) -> tuple[int, float]:
    with wave.open(str(path)) as w:
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2)[:, 0]
    seg = data[int(0.2 * rate):int(1.2 * rate)].astype(float)  # one second: 1 Hz bins
    spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    return rate, float(np.argmax(spectrum)) * rate / len(seg)


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 96000])
def test_a4_sounds_at_440_hz_at_every_rate(rate, tmp_path):
    sh(f"seq A4/1 --patch flute | to-wav --rate {rate} --out {tmp_path}/a.wav")
    got_rate, hz = _a4_hz(tmp_path / "a.wav")
    assert got_rate == rate and abs(hz - 440) <= 3, hz


def test_a_rate_fluidsynth_cannot_render_is_refused():
    proc = sh("seq A4 | to-wav --rate 192000 --out /dev/null", check=False)
    assert proc.returncode == 2 and b"8000<=x<=96000" in proc.stderr
    with pytest.raises(BadOption, match=r"--rate 192000: this FluidSynth renders at 8000\.\.96000 Hz"):
        synth.render([{"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 69, "vel": 90}],
                      rate=192000)


@pytest.mark.parametrize("data", [b"RIFFxxxxsfbkjunkjunk", b"not a soundfont at all"])
def test_a_broken_soundfont_is_one_line(tmp_path, data):
    (tmp_path / "bad.sf2").write_bytes(data)
    proc = sh(f"seq A4 | to-wav --soundfont {tmp_path}/bad.sf2 --out {tmp_path}/a.wav",
              check=False)
    err = proc.stderr.decode().strip().splitlines()
    assert proc.returncode == 69 and len(err) == 1, err
    assert err[0].startswith(f"to-wav: FluidSynth could not load the SoundFont {tmp_path}/bad.sf2 (")
    assert not (tmp_path / "a.wav").exists()


def test_sigterm_while_writing_leaves_no_temporary_file(tmp_path):
    """Poll for the temporary file, then SIGTERM the stage while it exists."""
    for length in (300, 600, 1200):
        proc = subprocess.Popen(
            ["to-wav", "--length", str(length), "--out", str(tmp_path / "big.wav")],
            stdin=open(ROOT / "examples" / "riff.jsonl", "rb"), stderr=subprocess.PIPE,
            env=ENV, cwd=tmp_path)
        caught = False
        while proc.poll() is None:
            if any(n.endswith(".tmp") for n in os.listdir(tmp_path)):
                proc.send_signal(signal.SIGTERM)
                caught = True
                break
            time.sleep(0.0005)
        proc.wait(timeout=120)
        if caught and proc.returncode == 143:
            break
        (tmp_path / "big.wav").unlink(missing_ok=True)
    assert caught and proc.returncode == 143, "the write never overlapped the signal"
    assert os.listdir(tmp_path) == []  # neither the temporary file nor a half WAV


def test_a_render_longer_than_the_disk_holds_is_refused_at_once(tmp_path):
    far = b'{"type":"Note","t":2147483000,"dur":6,"ch":0,"key":60,"vel":90}\n'
    proc = sh(f"to-wav --out {tmp_path}/far.wav", input=far, check=False, timeout=60)
    assert proc.returncode == 73 and b"the render needs 735.0 GiB of disk in" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and not list(tmp_path.iterdir())
