from musicpipe.meter import bar_line_at_or_after, bar_tick
from musicpipe.transforms.trim import trim
from musicpipe.stream import parse_lines
from tests.conftest import ROOT, events, jsonl, notes, sh

RIFF = parse_lines((ROOT / "examples/riff.jsonl").read_bytes())


def note(t, dur=480, key=60, ch=0):
    return {"type": "Note", "t": t, "dur": dur, "ch": ch, "key": key, "vel": 80}


def ends(evs):
    return [e["t"] for e in evs if e["type"] == "End"]


def test_bars_follow_time_signatures():
    assert bar_tick(2) == 3840
    assert bar_tick(2, [(0, 3, 4)]) == 2880
    assert bar_tick(3, [(0, 6, 8), (1440, 2, 2)]) == 1440 + 2 * 1920
    assert bar_line_at_or_after(1, [(0, 3, 4)]) == 1440
    assert bar_line_at_or_after(1440, [(0, 3, 4)]) == 1440
    assert bar_line_at_or_after(0) == 0


def test_trailing_silence_to_the_bar_line():
    src = [{"type": "TimeSig", "t": 0, "num": 3, "den": 4}, note(0, 500),
           {"type": "ControlChange", "t": 1000, "ch": 0, "cc": 7, "value": 90},
           {"type": "Marker", "t": 5000, "text": "silence"}, {"type": "End", "t": 9000},
           {"type": "Lyric", "t": "whenever"}]
    out = list(trim(src))
    # the CC lies past every note so far: held until the End shows it is inside the piece
    assert out == src[:2] + [src[5], src[2], {"type": "End", "t": 1440}]
    assert ends(trim(src, exact=True)) == [500]
    assert ends(trim(src, exact=True, pad=100)) == [600]
    assert ends(trim(src, pad=1000)) == [2880]


def test_held_events_come_out_when_a_later_note_reaches_them():
    src = [{"type": "Marker", "t": 960, "text": "B"}, note(0, 480), note(960, 480)]
    out = list(trim(src))
    assert out == [src[1], src[2], src[0], {"type": "End", "t": 1920}]


def test_no_notes_passes_the_stream_unchanged():
    src = [{"type": "Tempo", "t": 0, "bpm": 90}, {"type": "End", "t": 960}]
    assert list(trim(src)) == src


def test_cut_to_bars_shortens_crossing_notes_and_drops_later_ones():
    src = [{"type": "TimeSig", "t": 0, "num": 3, "den": 4}, note(0, 480), note(1200, 480),
           note(1440, 480), {"type": "ControlChange", "t": 2000, "ch": 0, "cc": 7, "value": 1},
           {"type": "End", "t": 5760}]
    out = list(trim(src, bars=1))
    assert out == [src[0], note(0, 480), note(1200, 240), {"type": "End", "t": 1440}]
    assert src[2]["dur"] == 480  # the input is not changed
    assert ends(trim(src, bars=4)) == [5760]  # shorter music: padded to 4 bars
    assert list(trim([note(0, 100)], ticks=50)) == [note(0, 50), {"type": "End", "t": 50}]


def test_late_time_signature_warns():
    msgs = []
    out = list(trim([note(0, 3000), {"type": "TimeSig", "t": 0, "num": 3, "den": 4}], bars=1,
                    warn=msgs.append))
    assert ends(out) == [1440] and len(msgs) == 1 and "TimeSig" in msgs[0]


def test_pipeline_streams_pairs_and_options():
    proc = sh("trim --bars 1 < examples/riff.jsonl")
    out = events(proc.stdout)
    assert out[-1] == {"type": "End", "t": 1920} and ends(out) == [1920]
    assert len(notes(out)) == 10
    assert ends(events(sh("trim --ticks 1000 < examples/riff.jsonl").stdout)) == [1000]
    pairs = (b'{"type":"NoteOn","t":0,"ch":0,"key":60,"vel":80}\n'
             b'{"type":"NoteOff","t":2000,"ch":0,"key":60}\n')
    assert events(sh("trim --bars 1", input=pairs).stdout) == [note(0, 1920), {"type": "End", "t": 1920}]
    assert events(sh("trim", input=jsonl([note(0, 100)])).stdout)[-1] == {"type": "End", "t": 1920}
    proc = sh("trim --bars 1 --ticks 5", check=False)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1
    assert b"held in memory" in sh("trim --help").stdout.replace(b"\n  ", b" ")


def test_a_cut_leaves_no_blips():
    """A note of the next bar pulled a few ticks early (humanized) is dropped, not kept as
    a 3-tick blip; a long note crossing the cut keeps its head."""
    src = [note(0, 1900), note(1915, 480), note(1800, 480), note(1880, 60)]
    out = notes(list(trim(src, bars=1)))
    assert out == [note(0, 1900), note(1800, 120), note(1880, 40)]
