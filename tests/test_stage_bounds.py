"""Stages bounded by what they write (issue 21): work refused before it starts when the
output would pass the stream's limits, keys kept inside 0..127, unreadable events named by
their line. Each failure is one stderr line with its exit code, through real pipes."""

from __future__ import annotations

import orjson
import pytest

from musicpipe.events import MAX_TICK
from musicpipe.harmony import Chord, diatonic
from musicpipe.theory import SCALES, parse_chord
from tests.conftest import events, notes, sh


def one_line(proc, code: int, *words: bytes) -> None:
    err = proc.stderr.strip()
    assert proc.returncode == code, (proc.returncode, err)
    assert len(err.splitlines()) == 1 and b"Traceback" not in err, err
    for word in words:
        assert word in err, err


def chord(t: int, dur: int, name: str = "C") -> bytes:
    return orjson.dumps({"type": "Chord", "t": t, "dur": dur, "root": name[0], "quality": "",
                         "name": name}) + b"\n"


@pytest.mark.parametrize("style", ["walking", "rhythmic", "octave", "root-fifth"])
def test_bass_over_a_chord_spanning_the_timeline_is_refused_before_it_starts(style):
    proc = sh(f"bass --seed 1 --style {style} | tail -c 400", input=chord(0, MAX_TICK),
              check=False, timeout=60)
    assert b"Abort" in proc.stdout and b"notes, more than 2,000,000" in proc.stdout
    proc = sh(f"bass --seed 1 --style {style} > /dev/null", input=chord(0, MAX_TICK), check=False)
    one_line(proc, 65, b"the stream's Chord events", b"more than 2,000,000")


def test_bass_over_chords_ending_past_the_last_tick_is_refused():
    proc = sh("bass --seed 1 --style pedal > /dev/null", input=chord(MAX_TICK, MAX_TICK),
              check=False)
    one_line(proc, 65, b"past the stream's limit")


def test_a_long_held_bass_line_within_the_limit_is_written():
    out = sh("bass --seed 1 --style pedal", input=chord(0, 1920 * 1000)).stdout
    assert len(notes(events(out))) == 1000


@pytest.mark.parametrize("stage", ['bass --chords "I IV"', 'chords "I IV"'])
@pytest.mark.parametrize("base", ["127", "G9", "C9"])
def test_a_register_past_key_127_is_a_usage_error(stage, base):
    proc = sh(f"{stage} --base {base} > /dev/null", check=False)
    one_line(proc, 2, b"past 127", b"--base")


@pytest.mark.parametrize("line", [
    'bass --chords "I V vi IV" --style octave --base 113',
    'bass --chords "I V vi IV" --style walking --base 0',
    'bass --chords "I V vi IV" --style root --base 122 --range 5',
    'chords "I V vi IV" --style arp --base 113 --voices 4',
    'chords "I V vi IV" --style block --base 0 --voicing spread',
])
def test_lines_at_the_edges_of_the_keyboard_stay_inside_0_to_127(line):
    keys = [n["key"] for n in notes(events(sh(f"{line} --seed 3").stdout))]
    assert keys and 0 <= min(keys) and max(keys) <= 127


def test_an_unreadable_chord_is_a_data_error_naming_its_line():
    stream = chord(0, 1920) + chord(1920, 1920, "Xq") + chord(3840, 1920, "G")
    for stage in ("bass --seed 1", "motif --seed 1", "transpose -s 2", "to-midi"):
        proc = sh(f"{stage} > /dev/null", input=stream, check=False)
        one_line(proc, 65, b"line 2", b'"name"', b"Xq")


def test_every_chord_the_library_builds_has_a_symbol_that_reads_back():
    """mood writes a Chord event for each chord of its progression, in any of the scales;
    every one must pass the reader's check (the symbol reads back to the same chord)."""
    for mode in SCALES:
        for degree in range(1, 8):
            for seventh in (False, True):
                for root in range(12):
                    c = diatonic(degree, root, mode, seventh)
                    for flats in (True, False):
                        assert Chord(*parse_chord(c.name(flats))) == c, (mode, degree, c.name())


def test_mood_in_an_exotic_mode_pipes_into_bass():
    out = sh('mood jazz --key "C harmonic-minor" --seed 1 --duration 10 | bass --seed 1').stdout
    names = [e["name"] for e in events(out) if e["type"] == "Chord"]
    assert names and "?" not in "".join(names)


FAR = (b'{"type":"Note","t":0,"dur":480,"ch":0,"key":60,"vel":90}\n'
       + orjson.dumps({"type": "End", "t": MAX_TICK}) + b"\n")


def test_mix_sustain_over_a_far_end_is_refused_before_writing():
    proc = sh("mix --ch 0 --sustain 1 | wc -l", input=FAR, check=False, timeout=60)
    assert proc.stdout.strip() == b"1"  # the Abort line alone
    one_line(proc, 0, b"8,947,850 controllers", b"more than 2,000,000")
    proc = sh("mix --ch 0 --sustain 1 > /dev/null", input=FAR, check=False)
    one_line(proc, 65, b"--sustain")
    sparse = notes(events(sh("mix --ch 0 --sustain 64", input=FAR).stdout))
    assert len(sparse) == 1  # pedalling every 16 bars: within the limit, written


def test_mix_expression_curve_over_a_far_end_is_as_cheap_as_over_a_bar():
    ccs = [e for e in events(sh("mix --ch 0 --expression '0>127>0'", input=FAR, timeout=60).stdout)
           if e["type"] == "ControlChange"]
    assert [c["value"] for c in ccs] == list(range(128)) + list(range(126, -1, -1))
    assert ccs[-1]["t"] <= MAX_TICK


@pytest.mark.parametrize("stream", [b"", b'{"type":"Seed","seed":1}\n',
                                    b'{"type":"Tempo","t":0,"bpm":120}\n',
                                    b'{"type":"Tempo","t":0,"bpm":120}\n{"type":"End","t":0}\n'])
@pytest.mark.parametrize("how", ["--bars 1000", "--times 3"])
def test_loop_of_a_stream_without_length_is_refused_at_once(stream, how):
    proc = sh(f"loop {how} > /dev/null", input=stream, check=False, timeout=60)
    one_line(proc, 65, b"lasts 0 ticks")


def test_loop_never_cuts_a_pass_at_the_last_tick():
    half = (b'{"type":"Note","t":0,"dur":480,"ch":0,"key":60,"vel":90}\n'
            + orjson.dumps({"type": "End", "t": 2**30}) + b"\n")
    proc = sh("loop --times 3 > /dev/null", input=half, check=False)
    one_line(proc, 65, b"3 passes", b"past the stream's limit", b"1 fit")
    two = events(sh("loop --times 2", input=half.replace(b"1073741824", b"1073741823")).stdout)
    assert two[-1] == {"type": "End", "t": 2 * (2**30 - 1)}
    wide = b'{"type":"TimeSig","t":0,"num":64,"den":1}\n' + half
    proc = sh("loop --bars 100000 > /dev/null", input=wide, check=False)
    one_line(proc, 65, b"100,000 bars end at tick 12,288,000,000")


def split_names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_split_force_replaces_the_last_piece_and_keeps_the_users_files(tmp_path):
    t = tmp_path / "t"
    sh(f"mood jazz --duration 3 --seed 1 | to-midi --split {t}")
    assert split_names(t) == [".musicpipe-files", "01-bass.mid", "02-piano.mid", "03-melody.mid",
                              "04-drums.mid"]
    (t / "notes.txt").write_text("mine")
    (t / "05-mine.mid").write_bytes(b"mine")
    proc = sh(f"seed 1 | motif --patch flute | to-midi --split {t}", check=False)
    one_line(proc, 73, b"holds files", b"--force")
    sh(f"seed 1 | motif --patch flute | to-midi --split {t} --force")
    assert split_names(t) == [".musicpipe-files", "01-flute.mid", "05-mine.mid", "notes.txt"]
    assert (t / "05-mine.mid").read_bytes() == b"mine"
    sh(f"mood jazz --duration 3 --seed 1 | to-midi --split {t} --force")
    assert "01-flute.mid" not in split_names(t) and "04-drums.mid" in split_names(t)


def test_two_splits_into_one_new_folder_never_both_write(tmp_path):
    """Started together, many times: one writes, the other is refused with one line."""
    sh(f"mood jazz --duration 3 --seed 1 > {tmp_path}/j.jsonl")
    script = (f"cd {tmp_path}; for i in $(seq 1 8); do rm -rf race; "
              "(to-midi --split race < j.jsonl 2> e1; echo $? >> codes) & "
              "(to-midi --split race < j.jsonl 2> e2; echo $? >> codes); wait; "
              "cat e1 e2 >> errors; done")
    sh(script, timeout=300)
    codes = (tmp_path / "codes").read_text().split()
    assert sorted(codes) == ["0"] * 8 + ["73"] * 8, codes
    errors = (tmp_path / "errors").read_text().splitlines()
    assert len(errors) == 8 and all("another run is writing" in e or "holds files" in e
                                    for e in errors), errors


def test_split_folder_and_track_names_too_long_for_the_file_system(tmp_path):
    proc = sh(f"seed 1 | motif | to-midi --split {tmp_path}/{'d' * 300}", check=False)
    one_line(proc, 73, b"File name too long")
    assert len(proc.stderr) < 400
    sh(f"seed 1 | motif --name {'x' * 3000} | to-midi --split {tmp_path}/t")
    assert split_names(tmp_path / "t") == [".musicpipe-files", f"01-{'x' * 40}.mid"]


@pytest.mark.parametrize("line", ["tempo = " + "9" * 5000, "intensity = " + "9" * 400,
                                  '[[moods.layers]]\nname = "x"\ndensity = 1' + "0" * 400,
                                  '[[moods.layers]]\nname = "x"\npan = 1' + "0" * 400])
def test_huge_numbers_in_a_pack_are_data_errors(line, tmp_path):
    (tmp_path / "p.toml").write_text(f'[[moods]]\nname = "fz"\nextends = "calm"\n{line}\n')
    proc = sh(f"mood fz --pack {tmp_path}/p.toml --duration 1 --seed 1 > /dev/null", check=False)
    one_line(proc, 65, b"p.toml")


def test_mood_show_prints_toml_that_reads_back_whatever_the_name(tmp_path):
    import tomllib

    name = 'line\none "quoted" \\ \x1b[31mred\x7f\ttab'
    pack = tmp_path / "p.toml"
    pack.write_text('[[moods]]\nname = "line\\none \\"quoted\\" \\\\ \\u001b[31mred\\u007f\\ttab"\n'
                    'extends = "calm"\n')
    shown = sh(f'mood --pack {pack} --show "$NAME"', env={"NAME": name}).stdout
    mood = tomllib.loads(shown.decode())["moods"][0]
    assert mood["name"] == name and mood["tempo"] == 72


def test_control_characters_in_names_are_escaped_in_every_message(tmp_path):
    pack = tmp_path / "p.toml"
    pack.write_text('[[moods]]\nname = "a\\u001b[31mred\\nnext"\nextends = "nope"\n')
    listing = sh(f"mood --pack {pack} --list").stdout
    assert b"\x1b" not in listing and b"a\\x1b[31mred\\nnext" in listing
    proc = sh(f"mood --pack {pack} nope", check=False)
    assert b"\x1b" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    bad = b'{"type":"Marker","t":0,"text":"a"}\n{"type":"Note","t":"\\u001b[2J","dur":1}\n'
    proc = sh("transpose -s 1 > /dev/null", input=bad, check=False)
    one_line(proc, 65, b"line 2")
    assert b"\x1b" not in proc.stderr
    named = (b'{"type":"Marker","t":0,"ch":1,"text":"a\\u001b[31m\\nb"}\n'
             b'{"type":"Note","t":0,"dur":480,"ch":1,"key":60,"vel":90}\n')
    for viz in ("viz", "viz --roll"):
        drawn = sh(f"{viz} > /dev/null", input=named).stderr
        assert b"\x1b" not in drawn and b"a\\x1b[31m" in drawn, drawn


def test_a_3000_character_value_gives_a_short_error_line():
    long = "x" * 3000
    stream = orjson.dumps({"type": "Marker", "t": 0, "ch": 99, "text": long}) + b"\n"
    proc = sh("to-midi > /dev/null", input=stream, check=False)
    one_line(proc, 65, b"line 1")
    assert len(proc.stderr) < 300
    proc = sh(f"seq '{long}' > /dev/null", check=False)
    one_line(proc, 2)
    assert len(proc.stderr) < 400


def test_chords_counts_its_notes_before_making_them():
    many = " ".join(["I"] * 10_000)
    proc = sh(f"chords {many} --bars-per-chord 64 --style arp --rate 8t > /dev/null", check=False,
              timeout=60)
    one_line(proc, 2, b"7,680,000 notes", b"more than 2,000,000")


def test_analyze_and_viz_show_names_with_escapes_as_text_and_long_ones_clipped():
    for text in ("a\x1b[31m\nb", "x" * 3000):
        stream = (orjson.dumps({"type": "Marker", "t": 0, "ch": 1, "text": text}) + b"\n"
                  + b'{"type":"Note","t":0,"dur":480,"ch":1,"key":60,"vel":90}\n')
        for stage in ("analyze", "viz --roll", "viz"):
            err = sh(f"{stage} > /dev/null", input=stream).stderr
            assert b"\x1b" not in err and max(map(len, err.splitlines())) < 500, (stage, err[:300])
