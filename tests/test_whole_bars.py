"""mood in whole bars: without --tempo a piece ends on a bar line at its exact second;
--bars asks for a number of bars."""

import io

import mido
import pytest

from musicpipe.meter import bar_length, seconds_at
from musicpipe.midi import midi_bytes
from musicpipe.moods.arrange import arrange
from musicpipe.moods.packs import Library
from musicpipe.theory import parse_key
from tests.conftest import events, sh

LIBRARY = Library()


def piece(name, seconds, seed=1, **kw):
    mood = LIBRARY.resolve(name)
    return arrange(mood, seconds=seconds, key=parse_key(mood.get("key", "C")), seed=seed, **kw)


def bar_lines(evs) -> set[int]:
    """Every bar line up to the End, under the stream's TimeSigs."""
    end = evs[-1]["t"]
    sigs = sorted((e["t"], e["num"], e["den"]) for e in evs if e["type"] == "TimeSig")
    lines = set()
    for i, (t, num, den) in enumerate(sigs):
        stop = sigs[i + 1][0] if i + 1 < len(sigs) else end + 1
        lines.update(range(t, stop, bar_length(num, den)))
    return lines


def length(evs) -> float:
    return seconds_at([(e["t"], e["bpm"]) for e in evs if e["type"] == "Tempo"])(evs[-1]["t"])


def fitted(evs, name) -> float:
    """The body tempo, in percent off the mood's."""
    return (evs[1]["bpm"] / LIBRARY.resolve(name)["tempo"] - 1) * 100


@pytest.mark.parametrize("name", LIBRARY.names())
def test_every_mood_ends_on_a_bar_line_at_its_exact_second(name):
    for seconds in (8, 20, 30):
        evs = piece(name, seconds)
        assert evs[-1]["type"] == "End" and evs[-1]["t"] in bar_lines(evs), (seconds, evs[-1])
        assert length(evs) == pytest.approx(seconds, abs=1e-3)
        assert abs(fitted(evs, name)) <= 4, (seconds, fitted(evs, name))
        sigs = [e for e in evs if e["type"] == "TimeSig"]
        assert len(sigs) <= 2 and all(e["t"] in bar_lines(evs) for e in sigs)
        assert all(n["t"] + n["dur"] <= evs[-1]["t"] for n in evs if n["type"] == "Note")
    assert piece(name, 20, seed=4) == piece(name, 20, seed=4)


def test_the_midi_file_lasts_the_seconds_and_a_ritardando_still_slows():
    evs = piece("calm", 20, seed=2)
    tempos = [e["bpm"] for e in evs if e["type"] == "Tempo"]
    assert len(tempos) > 2 and all(b < a for a, b in zip(tempos, tempos[1:]))
    assert mido.MidiFile(file=io.BytesIO(midi_bytes(evs))).length == pytest.approx(20, abs=1e-3)


def test_a_tempo_asked_is_kept():
    evs = piece("upbeat", 5, tempo=117)
    assert [e["bpm"] for e in evs if e["type"] == "Tempo"] == [117.0]


def test_bars_with_duration_with_tempo_and_alone_through_the_stage():
    evs = events(sh("mood upbeat --bars 8 --duration 15 --seed 1").stdout)
    assert evs[-1]["t"] == 8 * 4 * 480 and length(evs) == pytest.approx(15, abs=1e-3)
    evs = events(sh("mood jazz --bars 6 --tempo 90 --seed 1").stdout)
    assert evs[-1]["t"] == 6 * 4 * 480 and evs[1]["bpm"] == 90.0
    assert length(evs) > 6 * 4 * 60 / 90  # the ritardando takes its time, the bars stay
    evs = events(sh("mood upbeat --bars 4 --seed 1").stdout)
    assert evs[-1]["t"] == 4 * 4 * 480 and evs[1]["bpm"] == LIBRARY.resolve("upbeat")["tempo"]


def test_a_contradiction_or_an_impossible_tempo_is_one_line_exit_2():
    for cmd in ("mood calm --bars 4 --tempo 80 --duration 9 --seed 1",
                "mood calm --bars 400 --duration 2 --seed 1"):
        proc = sh(cmd, check=False)
        assert proc.returncode == 2 and events(proc.stdout)[-1]["type"] == "Abort", cmd
        assert len(proc.stderr.decode().strip().splitlines()) == 1, proc.stderr


def test_bars_at_a_tempo_render_the_length_they_last(tmp_path):
    import soundfile

    out = tmp_path / "b.wav"
    sh(f"mood upbeat --bars 2 --tempo 120 --seed 1 --out {out}")
    info = soundfile.info(str(out))
    assert info.frames >= 4 * 44100
