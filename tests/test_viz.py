import os
import random
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from musicpipe.draw import Piece, piano_roll, sparkline, svg
from musicpipe.stream import parse_lines
from tests.conftest import ROOT, jsonl, notes, sh

RIFF = ROOT / "examples/riff.jsonl"
SVG_NS = "{http://www.w3.org/2000/svg}"

ODD = (b'{"type":"Seed","seed":7}\r\n'
       b'{ "type" : "Tempo",  "t":0, "bpm": 96.50 }\n'
       b'\n'
       b'   {"type":"Note","t":0,"dur":480,"ch":0,"key":60,"vel":90,"extra":[1, 2]}\n'
       b'{"type":"Sparkle","colour":"teal"}\n'
       b'{"type":"Seed","seed":8}\n'
       b'{"type":"NoteOn","t":480,"ch":1,"key":64,"vel":70}\n'
       b'{"type":"NoteOff","t":960,"ch":1,"key":64}\n'
       b'{"type":"Marker","t":0,"text":"caf\\u00e9 <&>","ch":1}\n'
       b'{"type":"End","t":1920}')  # no newline at the end


def piece_of(data: bytes) -> Piece:
    piece = Piece()
    piece.add(parse_lines(data))
    return piece


def test_passes_odd_formatting_through_byte_for_byte(tmp_path):
    src = tmp_path / "odd.jsonl"
    src.write_bytes(ODD)
    proc = sh(f"viz < {src} > {tmp_path}/out.jsonl && cmp {src} {tmp_path}/out.jsonl")
    assert (tmp_path / "out.jsonl").read_bytes() == ODD
    assert proc.stderr.decode().startswith("viz: 2 notes, channels 0, 1, C4..E4")


def test_big_stream_across_many_chunks_is_identical(tmp_path):
    rnd = random.Random(5)
    lines = []
    for i in range(60_000):
        sep = " " * rnd.randint(0, 3)
        lines.append(f'{{"type":"Note",{sep}"t":{i * 60},"dur":{sep}60,"ch":{i % 3},'
                     f'"key":{40 + i % 30},"vel":80}}')
        if i % 997 == 0:
            lines.append('{"type":"Lyric","t":%d,"text":"%s"}' % (i, "la" * rnd.randint(1, 40)))
    data = ("\n".join(lines) + "\n").encode()
    src = tmp_path / "big.jsonl"
    src.write_bytes(data)
    sh(f"cat {src} | viz --roll --width 60 2>/dev/null | cmp - {src}")


@pytest.mark.parametrize("bad_at", [3, 20_000])
def test_bad_line_exit_65_and_stdout_is_the_good_lines_before_it(bad_at):
    good = [b'{"type":"Note","t":%d,"dur":10,"ch":0,"key":60,"vel":80}\n' % i for i in range(30_000)]
    bad = b'{"type":"Note","t":0,"dur":0,"ch":0,"key":60,"vel":80}\n'
    data = b"".join(good[:bad_at - 1]) + bad + b"".join(good[bad_at:])
    proc = sh("viz", input=data, check=False)
    assert proc.returncode == 65
    assert proc.stdout == b"".join(good[:bad_at - 1]) + (
        b'{"type":"Abort","stage":"viz","message":"line %d: Note field \\"dur\\" is 0, '
        b'allowed 1..2147483647"}\n' % bad_at)
    err = proc.stderr.decode().strip().splitlines()
    assert len(err) == 1 and f"line {bad_at}" in err[0] and '"dur"' in err[0], err


def test_sparkline_and_roll_on_stderr_in_time_order():
    proc = sh(f"viz --roll --step 240 --width 40 < {RIFF}")
    assert proc.stdout == RIFF.read_bytes()
    err = proc.stderr.decode()
    assert "\033[" not in err  # NO_COLOR is set for tests
    lines = err.splitlines()
    assert lines[0] == "viz: 10 notes, channels 0, 1, 9, C2..A4, 1920 ticks (1 bar, 0:02.5)"
    assert lines[1] == "channels: 0 = ch 0 Lead, 1 = ch 1 Bass, 9 = ch 9 Drums"
    rows = {line[:5].strip(): line[6:] for line in lines[3:]}
    assert rows["A4"] == "| 0=: : "
    assert rows["D4"] == "0 : : : "
    assert rows["E4"] == "| : : 0="
    assert rows["D2"] == "1===9 : "   # bass under the drum hit at beat 3
    assert "C4" in rows and len(rows) == 69 - 36 + 1
    spark = sh(f"viz < {RIFF}").stderr.decode().splitlines()
    assert spark[0] == lines[0] and spark[1].startswith("ch 0 Lead") and spark[3].startswith("ch 9 Drums")


def test_roll_overlaps_and_colour():
    evs = [{"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 60, "vel": 90},
           {"type": "Note", "t": 240, "dur": 480, "ch": 2, "key": 60, "vel": 90}]
    piece = Piece()
    piece.add(evs)
    text = piano_roll(piece, step=120, width=80)
    assert text.splitlines()[-1] == "   C4 0=**=="  # ch 2 starts inside ch 0's note: '*'

    assert "\033[" in piano_roll(piece, color=True) and "\033[" in sparkline(piece, color=True)
    assert "\033[" not in sparkline(piece)


def test_svg_has_a_rect_per_note_bars_beats_legend_and_names(tmp_path):
    out = tmp_path / "riff.svg"
    proc = sh(f"viz --svg {out} < {RIFF}")
    assert proc.stdout == RIFF.read_bytes()
    assert f"viz: wrote {out}" in proc.stderr.decode()
    root = ET.parse(out).getroot()
    assert root.tag == SVG_NS + "svg"
    rects = [r for r in root.iter(SVG_NS + "rect") if r.get("class") == "note"]
    src_notes = notes(parse_lines(RIFF.read_bytes()))
    assert len(rects) == len(src_notes)
    assert sorted(int(r.get("data-ch")) for r in rects) == sorted(n["ch"] for n in src_notes)
    assert len({r.get("fill") for r in rects}) == 3  # one colour per channel
    legend = [r for r in root.iter(SVG_NS + "rect") if r.get("class") == "legend"]
    assert [r.get("data-ch") for r in legend] == ["0", "1", "9"]
    lines = list(root.iter(SVG_NS + "line"))
    assert [x.get("class") for x in lines] == ["bar", "beat", "beat", "beat"]
    texts = [t.text for t in root.iter(SVG_NS + "text")]
    assert {"C4", "A4", "D2", "1"} <= set(texts) and any("Lead" in t for t in texts)
    assert [p.name for p in tmp_path.iterdir()] == ["riff.svg"]  # no temporary left behind


def test_svg_by_track_colours_two_tracks_on_one_channel_apart():
    """The studio's roll: to-midi's tracks (a track name on a channel) each get a colour and
    a legend entry; a stream without track names draws exactly as viz does."""
    data = jsonl([
        {"type": "Marker", "t": 0, "ch": 0, "track": "LH", "text": "Piano <left>"},
        {"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 72, "vel": 90, "track": "RH"},
        {"type": "Note", "t": 0, "dur": 480, "ch": 0, "key": 48, "vel": 90, "track": "LH"},
        {"type": "Note", "t": 480, "dur": 480, "ch": 0, "key": 50, "vel": 90, "track": "LH"},
        {"type": "Note", "t": 0, "dur": 960, "ch": 1, "key": 36, "vel": 90}])
    root = ET.fromstring(svg(piece_of(data), by_track=True))
    rects = [r for r in root.iter(SVG_NS + "rect") if r.get("class") == "note"]
    fills = {(r.get("data-ch"), r.get("data-track")): r.get("fill") for r in rects}
    assert len(rects) == 4 and len(set(fills.values())) == 3
    assert fills[("0", "RH")] == "#4477aa" and fills[("1", None)] == "#ee6677"
    legend = [(r.get("data-ch"), r.get("data-track")) for r in root.iter(SVG_NS + "rect")
              if r.get("class") == "legend"]
    assert legend == [("0", "RH"), ("0", "LH"), ("1", None)]
    texts = [t.text for t in root.iter(SVG_NS + "text")]
    assert "ch 0 RH (1 notes)" in texts and "ch 0 Piano <left> (2 notes)" in texts
    assert svg(piece_of(data)).count('class="legend"') == 2  # viz: by channel
    riff = piece_of(RIFF.read_bytes())
    assert svg(riff, by_track=True) == svg(riff)


def test_svg_escapes_marker_names_and_parses():
    text = svg(piece_of(ODD))
    root = ET.fromstring(text)
    assert any("café <&>" in (t.text or "") for t in root.iter(SVG_NS + "text"))


def test_svg_unwritable_is_exit_73(tmp_path):
    proc = sh(f"viz --svg {tmp_path}/missing/dir/x.svg < {RIFF}", check=False)
    assert proc.returncode == 73 and b"cannot write" in proc.stderr and b"Traceback" not in proc.stderr


def test_empty_input():
    proc = sh("viz", input=b"")
    assert proc.stdout == b"" and proc.stderr == b"viz: no notes\n"


@pytest.mark.skipif(not shutil.which("chromium") and not os.path.exists("/usr/bin/chromium"),
                    reason="headless Chromium not installed")
def test_svg_renders_in_headless_chromium(tmp_path):
    out = tmp_path / "riff.svg"
    sh(f"viz --svg {out} < {RIFF} > /dev/null")
    png = tmp_path / "shot.png"
    subprocess.run([shutil.which("chromium") or "/usr/bin/chromium", "--headless", "--no-sandbox",
                    "--disable-gpu", f"--screenshot={png}", "--window-size=400,500",
                    out.as_uri()], check=True, capture_output=True, timeout=60)
    assert png.stat().st_size > 1000


def test_output_identical_through_a_pipeline():
    data = jsonl([{"type": "Seed", "seed": 1}] + [
        {"type": "Note", "t": i * 120, "dur": 100, "ch": i % 2, "key": 50 + i % 20, "vel": 70}
        for i in range(500)])
    proc = sh("viz --roll | viz | cat", input=data)
    assert proc.stdout == data
