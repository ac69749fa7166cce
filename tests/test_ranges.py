"""One range policy (docs/events.md, "Ranges"): what a stage writes stays inside the event
table, options are finite and bounded, and each of issue 16's crashes is one line with the
right exit code. Every case is a real process; the output is read back with the validating
reader, so an out-of-range value would fail the test.
"""

from __future__ import annotations

import struct

import orjson
import pytest

from musicpipe.events import MAX_TICK
from musicpipe.stream import parse_lines
from tests.conftest import events, sh

FAR = '{"type":"Note","t":2147483000,"dur":600,"ch":0,"key":60,"vel":90}'


def _one_line(proc, code: int, needle: str) -> None:
    err = proc.stderr.decode().strip().splitlines()
    assert proc.returncode == code, proc.stderr
    assert b"Traceback" not in proc.stderr and "internal error" not in proc.stderr.decode()
    assert needle in err[-1], err


@pytest.mark.parametrize("script", [
    "humanize --seed 1 --timing 5000 --length 100000",
    "trim",
    "trim --pad 99999",
    "trim --exact --pad 2147483647",
    "rubato --seed 1 --interval 1000000",
])
def test_transforms_keep_far_times_inside_the_table(script):
    out = parse_lines(sh(script, input=FAR + "\n").stdout)  # validates every event
    assert max(e.get("t", 0) for e in out) <= MAX_TICK
    assert [e for e in out if e["type"] == "Note"]


def test_trim_clamps_the_end_at_the_limit():
    out = events(sh("trim", input=FAR + "\n").stdout)
    assert out[-1] == {"type": "End", "t": MAX_TICK}


def test_trim_bars_keeps_a_seed_whatever_it_carries():
    seed = '{"type":"Seed","seed":1,"t":99999999999}\n'
    assert events(sh("trim --bars 1", input=seed).stdout)[0]["type"] == "Seed"
    proc = sh("trim --bars 1", input='{"type":"Seed","seed":1,"t":"x"}\n')
    assert events(proc.stdout)[0] == {"type": "Seed", "seed": 1, "t": "x"}
    proc = sh("rubato --seed 2", input='{"type":"Seed","seed":1,"t":"x"}\n' + FAR.replace(
        "2147483000", "0") + "\n")
    assert events(proc.stdout)[0]["t"] == "x"


@pytest.mark.parametrize("script, needle", [
    ('seq "C4/t99999999999"', "past the stream's limit 2,147,483,647"),
    ("motif --at 99999999999 --seed 1", "past the stream's limit"),
    ("euclid --pulses 3 --steps 8 --step t99999999999", "past the stream's limit"),
    ("seq C4 --at 999999999999999bars", "past the stream's limit"),
    ("euclid --pulses 1024 --steps 1024 --repeat 100000", "more than 2,000,000"),
    ("motif --notes 1000000 --repeat 3 --seed 1", "more than 2,000,000"),
])
def test_generators_refuse_parts_past_the_limits(script, needle):
    proc = sh(script, check=False, timeout=60)
    _one_line(proc, 2, needle)
    assert events(proc.stdout)[-1]["type"] == "Abort"


@pytest.mark.parametrize("script", [
    "motif --bpm nan --seed 1", "humanize --swing nan", "humanize --length nan",
    "humanize --timing nan%", "humanize --timing 99999999999999999999999",
    "mood calm --tempo nan", "mood calm --duration inf", "euclid --pulses 3 --steps 8 --ghost nan",
    "rubato --variance nan", "to-wav --out x.wav --gain nan", "motif --swing -inf",
])
def test_nan_and_huge_options_are_usage_errors(script):
    proc = sh(script + " < /dev/null", check=False)
    _one_line(proc, 2, "Invalid value")


def test_rubato_refuses_a_grid_of_millions():
    proc = sh("rubato --seed 1", input='{"type":"End","t":2147483647}\n', check=False)
    _one_line(proc, 65, "needs 4,473,925 Tempo lines, more than 100,000: raise --interval")


@pytest.mark.parametrize("line, needle", [
    ('{"type":[]}', 'field "type" must be text, got array'),
    ('{"type":{}}', 'field "type" must be text, got object'),
    ('{"type":"X","big":123456789012345678901234567890}', "does not fit in 64 bits"),
    ('{"type":"X","n":[-9223372036854775809]}', "does not fit in 64 bits"),
])
def test_malformed_events_are_data_errors_in_every_stage(line, needle):
    for stage in ("transpose", "scale", "humanize --seed 1", "rubato --seed 1", "trim",
                  "trim --bars 1", "viz", "to-midi --out /dev/null", "seed 1"):
        proc = sh(stage, input=line + "\n", check=False)
        _one_line(proc, 65, needle)


def test_a_64_bit_seed_still_passes():
    seed = '{"type":"Seed","seed":18446744073709551615}\n'
    assert sh("transpose", input=seed).stdout == seed.encode()


def _smf(division: int, track: bytes) -> bytes:
    return (b"MThd" + struct.pack(">LHHH", 6, 0, 1, division & 0xFFFF) + b"MTrk"
            + struct.pack(">L", len(track)) + track)


@pytest.mark.parametrize("data, code, needle", [
    (_smf(-(25 << 8), b"\x00\x90\x3c\x40\x60\x80\x3c\x40\x00\xff\x2f\x00"), 65,
     "SMPTE time division of 25 frames a second, 0 ticks a frame"),
    (_smf(480, b"\x00\xff\x59\x02\x40\x00\x00\xff\x2f\x00"), 0,  # 64 sharps: no key
     "1 key signatures that name no key dropped"),
    (_smf(1, b"\x00\x90\x3c\x40" + b"\xff\xff\xff\x7f\x80\x3c\x40" * 40
          + b"\x00\x90\x3e\x40\x00\x80\x3e\x40\x00\xff\x2f\x00"), 0, "past tick 2147483647"),
    (_smf(480, b"\x00\x90\x3c\x40\x8f\xff\xff\xff\x7f\x80\x3c\x40\x00\xff\x2f\x00"), 0, ""),
])
def test_hostile_midi_files(tmp_path, data, code, needle):
    (tmp_path / "x.mid").write_bytes(data)
    proc = sh(f"from-midi {tmp_path}/x.mid", check=False)
    assert proc.returncode == code and b"Traceback" not in proc.stderr
    assert needle.encode() in proc.stderr
    if code == 0 and "key" not in needle:  # the two files whose notes run past the end
        out = parse_lines(proc.stdout)
        assert out[-1] == {"type": "End", "t": MAX_TICK}


def test_non_midi_file_into_to_wav_is_a_data_error(tmp_path):
    (tmp_path / "x.mid").write_text("hello")
    proc = sh(f"to-wav --midi {tmp_path}/x.mid --out {tmp_path}/x.wav", check=False)
    _one_line(proc, 65, "not a MIDI file")


def test_seq_file_that_is_not_utf8(tmp_path):
    (tmp_path / "bad.txt").write_bytes(b"C4 \xff\xfe")
    _one_line(sh(f"seq --file {tmp_path}/bad.txt", check=False), 65, "not UTF-8 text (byte 3)")
    _one_line(sh("seq --file /dev/zero", check=False, timeout=60), 65, "longer than 1 MiB")


@pytest.mark.parametrize("body, needle", [
    ('harmony = "I XIV"', "harmony.progression: not a Roman numeral chord: 'XIV'"),
    ('harmony = ["Qmaj7"]', "harmony.progression"),
    ("tempo = nan", "tempo: nan is not a finite number"),
    ("tempo = 99999999999999999999", "out of range 20..400"),
    ('[[moods.layers]]\nname = "l"\ngenerator = "seq"\nnotes = "C4 Xq"', "layers[0].notes"),
    ('[[moods.layers]]\nname = "l"\ninstruments = []', "layers[0].instruments: an empty list"),
    ('[[moods.layers]]\nname = "l"\ngenerator = "motif"\ncontour = []', "contour: an empty list"),
])
def test_broken_mood_packs_are_data_errors(tmp_path, body, needle):
    pack = tmp_path / "p.toml"
    pack.write_text(f'[[moods]]\nname = "x"\nextends = "calm"\n{body}\n')
    _one_line(sh(f"mood x --pack {pack} --seed 1 --duration 2", check=False), 65, needle)


@pytest.mark.parametrize("script", [
    "seq C4 >&-", "seq C4 > /dev/full", "motif --seed 1 --notes 5000 > /dev/full",
    "seq C4 --help > /dev/full", "scale --list > /dev/full", "mood --list > /dev/full",
    "musicpipe --help > /dev/full", "musicpipe >&-", "seq C4 | to-midi --out - > /dev/full",
])
def test_an_unwritable_stdout_is_73_with_one_line(script):
    _one_line(sh(script, check=False), 73, "cannot write to stdout")


def test_viz_far_apart_is_drawn_within_bounds(tmp_path):
    stream = ('{"type":"TimeSig","t":0,"num":1,"den":64}\n'
              '{"type":"Note","t":0,"dur":10,"ch":0,"key":60,"vel":90}\n' + FAR + "\n"
              '{"type":"End","t":2147483647}\n')
    proc = sh(f"viz --roll --svg {tmp_path}/far.svg", input=stream, timeout=60)
    assert proc.stdout == stream.encode()
    assert b"(one column = 107375 ticks: 120 would take more than 20,000 columns)" in proc.stderr
    assert (tmp_path / "far.svg").stat().st_size < 20_000  # no bar lines: 71 million bars
    proc = sh("trim", input=stream, timeout=60)
    assert events(proc.stdout)[-1] == {"type": "End", "t": 2147483610}  # a 1/64 bar line
    report = orjson.loads(sh("analyze --json -", input=stream, timeout=60).stdout)
    assert report["bars"] == 71582789 and report["repetition"]["lag"] is None


@pytest.mark.parametrize("script, needle", [
    ("loop --times 3", "past the stream's limit"),
    ("seq '" + "C4/32 " * 32 + "' < /dev/null | loop --bars 100000", "would write more than 2,000,000 events"),
    ("section verse --at 99999999999t", "past the stream's limit"),
])
def test_assembly_stays_inside_the_limits(script, needle):
    proc = sh(script, input=FAR + "\n", check=False, timeout=60)
    _one_line(proc, 2 if "section" in script else 65, needle)


def test_merge_and_concat_ends_stay_inside_the_table(tmp_path):
    (tmp_path / "far.jsonl").write_text(FAR.replace("2147483000", "0").replace('"dur":600',
                                                                               '"dur":2147483521') + "\n")
    out = parse_lines(sh(f"merge {tmp_path}/far.jsonl {tmp_path}/far.jsonl").stdout)
    assert out[-1] == {"type": "End", "t": MAX_TICK}
    _one_line(sh(f"concat {tmp_path}/far.jsonl {tmp_path}/far.jsonl", check=False), 65,
              "past the stream's limit")


def test_a_register_at_the_top_plays_inside_0_to_127(tmp_path):
    pack = tmp_path / "p.toml"
    pack.write_text('[[moods]]\nname = "x"\nextends = "calm"\n[[moods.layers]]\nname = "l"\n'
                    'generator = "motif"\nregister = { base = 127, range = 60 }\n')
    out = parse_lines(sh(f"mood x --pack {pack} --seed 1 --duration 4").stdout)  # validates
    assert max(e["key"] for e in out if e["type"] == "Note") <= 127
