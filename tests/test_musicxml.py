"""to-musicxml: scores that music21 (and MuseScore) read back with the right parts, key,
meter, measures, chord symbols, ties, tuplets and drums, through real pipes."""

from __future__ import annotations

import zipfile

import pytest

from musicpipe.meter import bar_count
from tests.conftest import ROOT, events, midi_meter, sh

music21 = pytest.importorskip("music21")


def midi_bars(path) -> int:
    sigs, end = midi_meter(path)
    return bar_count(end, sigs)


def read(path):
    return music21.converter.parse(str(path))


def check_against_midi(stream_file, tmp_path, *, parts, sharps, meter="4/4"):
    sh(f"to-musicxml --out {tmp_path}/s.musicxml < {stream_file}")
    sh(f"to-midi --out {tmp_path}/s.mid < {stream_file}")
    score = read(tmp_path / "s.musicxml")
    assert [p.partName for p in score.parts] == parts
    bars = midi_bars(tmp_path / "s.mid")
    for part in score.parts:
        assert len(part.getElementsByClass("Measure")) == bars, part.partName
        assert part.recurse().getElementsByClass("TimeSignature")[0].ratioString == meter
    pitched = score.parts[0]
    assert pitched.recurse().getElementsByClass("KeySignature")[0].sharps == sharps
    chords = [e for e in events(stream_file.read_bytes()) if e["type"] == "Chord"]
    symbols = list(score.recurse().getElementsByClass(music21.harmony.ChordSymbol))
    assert len(symbols) == len(chords) and chords
    for part in score.parts:  # one voice a part, nothing shorter than the grid
        assert not part.recurse().getElementsByClass("Voice"), part.partName
        played = [n for n in part.recurse().notes if not isinstance(n, music21.harmony.ChordSymbol)]
        assert played and all(n.quarterLength >= 0.25 for n in played)
    return score


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    """examples/song.sh's stream: the script itself, its last stage writing the stream.
    Parts come in channel order, as to-midi's tracks do."""
    folder = tmp_path_factory.mktemp("song")
    script = (ROOT / "examples" / "song.sh").read_text()
    assert '| humanize | to-midi --out "$out.mid"' in script
    (folder / "song.sh").write_text(script.replace('| humanize | to-midi --out "$out.mid"',
                                                   '| humanize > "$out.jsonl"'))
    sh(f"bash {folder}/song.sh {folder}/song")
    return folder / "song.jsonl"


def test_the_example_song_as_a_score(song, tmp_path):
    score = check_against_midi(song, tmp_path, parts=["Flute", "Piano", "Bass"], sharps=1)
    marks = [m.content for m in score.recurse().getElementsByClass(music21.expressions.RehearsalMark)]
    assert marks == ["intro", "verse", "chorus", "verse", "chorus"]
    assert [m.number for m in score.recurse().getElementsByClass(music21.tempo.MetronomeMark)] == [100]
    assert any(n.tie is not None for n in score.parts[0].recurse().notes)  # held across bar lines


@pytest.mark.parametrize("mood, parts, sharps", [
    ("jazz --duration 20 --seed 3", ["Bass (Upright Bass)", "Piano (Piano)", "Melody (Tenor Sax)",
                                     "Drums (Drums)"], -2),
    ("lofi --duration 12 --seed 1", None, None),
])
def test_moods_as_scores(mood, parts, sharps, tmp_path):
    stream = tmp_path / "m.jsonl"
    sh(f"mood {mood} > {stream}")
    evs = events(stream.read_bytes())
    names = [e["text"] for e in evs if e["type"] == "Marker" and e.get("ch") is not None]
    key = next(e for e in evs if e["type"] == "KeySig")
    from musicpipe.theory import key_signature, parse_key

    expected = key_signature(*parse_key(f"{key['key']} {key['mode']}"), key["key"])[0]
    assert sharps is None or sharps == expected
    score = check_against_midi(stream, tmp_path, parts=parts or names, sharps=expected)
    drums = [p for p in score.parts if p.partName.startswith("Drums")]
    assert drums and drums[0].recurse().getElementsByClass("PercussionClef")
    assert drums[0].recurse().getElementsByClass("Unpitched") or \
        drums[0].recurse().getElementsByClass("PercussionChord")


def test_triplets_with_their_grid_and_spelling_as_the_key(tmp_path):
    sh('seq "C4/8t D4 E4 F#4/4 Gb4/2" --time-sig 4/4 | scale --key D '
       f'| to-musicxml --grid 16,8t --out {tmp_path}/t.musicxml', input=None)
    score = read(tmp_path / "t.musicxml")
    notes = list(score.recurse().notes)
    assert [n.duration.tuplets[0].numberNotesActual if n.duration.tuplets else 0 for n in notes][:3] == [3, 3, 3]
    assert [n.pitch.name for n in notes][3] == "F#"  # D major spells with sharps
    sh('seq "C4/8t D4 E4" | to-musicxml --out ' f'{tmp_path}/s.musicxml', input=None)  # a 16 grid: no triplets
    assert not any(n.duration.tuplets for n in read(tmp_path / "s.musicxml").recurse().notes)


def test_mxl_is_a_compressed_score_and_the_bytes_repeat(tmp_path):
    sh(f"mood calm --duration 6 --seed 2 | to-musicxml --out {tmp_path}/a.mxl")
    sh(f"mood calm --duration 6 --seed 2 | to-musicxml --out {tmp_path}/b.mxl")
    assert (tmp_path / "a.mxl").read_bytes() == (tmp_path / "b.mxl").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.mxl") as z:
        assert "score.musicxml" in z.read("META-INF/container.xml").decode()
    assert read(tmp_path / "a.mxl").parts


def test_bad_outputs_and_inputs(tmp_path):
    proc = sh(f"seed 1 | motif | to-musicxml --out {tmp_path}/x.pdf", check=False)
    assert proc.returncode == 2 and b".musicxml" in proc.stderr
    proc = sh(f"seed 1 | to-musicxml --out {tmp_path}/x.musicxml", check=False)
    assert proc.returncode == 65 and not (tmp_path / "x.musicxml").exists()
    proc = sh(f"seed 1 | motif | to-musicxml --grid 12 --out {tmp_path}/x.musicxml", check=False)
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1
    far = '{"type":"Note","t":0,"dur":480,"ch":0,"key":60,"vel":80}\n{"type":"End","t":2147483647}\n'
    proc = sh(f"to-musicxml --out {tmp_path}/x.musicxml", input=far, check=False)
    assert proc.returncode == 65 and b"at most 5,000" in proc.stderr and not (tmp_path / "x.musicxml").exists()
    wide = "".join(f'{{"type":"Note","t":0,"dur":480,"ch":{ch},"key":60,"vel":80}}\n' for ch in range(4))
    proc = sh(f"to-musicxml --out {tmp_path}/x.musicxml", input=wide + '{"type":"End","t":7680000}\n',
              check=False)  # 4,000 bars in 4 parts: refused before music21 spends minutes on it
    assert proc.returncode == 65 and b"16,000 measures in all; at most 10,000" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and not (tmp_path / "x.musicxml").exists()
    held = '{"type":"Note","t":0,"dur":2147483647,"ch":0,"key":60,"vel":80}\n{"type":"End","t":7680}\n'
    sh(f"to-musicxml --out {tmp_path}/x.musicxml", input=held)  # cut at the End, as to-midi does
    assert len(read(tmp_path / "x.musicxml").parts[0].getElementsByClass("Measure")) == 4
    # nothing to score, written as asked: without music21's two lines ("not well-formed")
    for empty in ("", '{"type":"End","t":0}\n'):
        proc = sh(f"to-musicxml --force --out {tmp_path}/e.musicxml", input=empty)
        assert proc.stderr == b"" and b"<score-partwise" in (tmp_path / "e.musicxml").read_bytes()


def test_without_music21_it_exits_69_with_the_fix(tmp_path):
    (tmp_path / "music21").mkdir()
    (tmp_path / "music21" / "__init__.py").write_text("raise ImportError('no music21 here')\n")
    proc = sh(f"seed 1 | motif | to-musicxml --out {tmp_path}/x.musicxml", check=False,
              env={"PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 69 and b"musicpipe[musicxml]" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and not (tmp_path / "x.musicxml").exists()
    held = '{"type":"Note","t":0,"dur":2147483647,"ch":0,"key":60,"vel":80}\n{"type":"End","t":7680}\n'
    sh(f"to-musicxml --out {tmp_path}/x.musicxml", input=held)  # cut at the End, as to-midi does
    assert len(read(tmp_path / "x.musicxml").parts[0].getElementsByClass("Measure")) == 4
    # nothing to score, written as asked: without music21's two lines ("not well-formed")
    for empty in ("", '{"type":"End","t":0}\n'):
        proc = sh(f"to-musicxml --force --out {tmp_path}/e.musicxml", input=empty)
        assert proc.stderr == b"" and b"<score-partwise" in (tmp_path / "e.musicxml").read_bytes()


def test_scores_music21_would_take_minutes_over_are_refused_up_front(tmp_path):
    """music21's time grows with the square of a part's measures and notes: one note held
    through 4,000 bars of 1/64 in two parts (8,000 measures, under the 10,000 cap) took it
    minutes (the fuzz suite's hang), so the weight of each part is bounded first."""
    target = tmp_path / "x.musicxml"
    target.write_bytes(b"the old file")
    held = "".join(f'{{"type":"Note","t":0,"dur":120000,"ch":{ch},"key":60,"vel":80}}\n'
                   for ch in (0, 1))
    tiny = '{"type":"TimeSig","t":0,"num":1,"den":64}\n'
    proc = sh(f"to-musicxml --out {target}", input=tiny + held + '{"type":"End","t":120000}\n', check=False)
    assert proc.returncode == 65 and len(proc.stderr.splitlines()) == 1
    assert b"part would weigh 8,009" in proc.stderr and b"at most 2,500 a part" in proc.stderr
    assert target.read_bytes() == b"the old file"
    stacked = "".join('{"type":"Chord","t":0,"dur":480,"name":"Am","root":"A","quality":"m",'
                      '"keys":[57,60,64]}\n' for _ in range(500))  # one place: one symbol
    sh(f"to-musicxml --out {target}", input=stacked + held.splitlines()[0] + '\n{"type":"End","t":1920}\n')
    assert len(list(read(target).recurse().getElementsByClass(music21.harmony.ChordSymbol))) == 1
    wide = "".join(f'{{"type":"Note","t":{i * 120},"dur":120,"ch":{i % 4},"key":60,"vel":80}}\n'
                   for i in range(6000))  # 4 parts of 1,500 notes: 6,750 in all
    proc = sh(f"to-musicxml --out {target}", input=wide, check=False)
    assert proc.returncode == 65 and b"in 4 parts" in proc.stderr and b"at most 6,000" in proc.stderr


def test_signatures_past_the_end_are_left_out(tmp_path):
    """A TimeSig or KeySig after the End writes nothing: music21 filled the measures up to a
    20/16 at tick 491,772,958 (the fuzz suite's second hang, minutes); the score is its bar."""
    stream = ('{"type":"TimeSig","t":0,"num":64,"den":4}\n'
              '{"type":"TimeSig","t":491772958,"num":20,"den":16}\n'
              '{"type":"KeySig","t":491772958,"key":"E","mode":"major"}\n'
              '{"type":"Note","t":0,"dur":480,"ch":0,"key":60,"vel":80}\n'
              '{"type":"End","t":30720}\n')
    sh(f"to-musicxml --out {tmp_path}/far.musicxml", input=stream)
    part = read(tmp_path / "far.musicxml").parts[0]
    measures = list(part.getElementsByClass(music21.stream.Measure))
    assert len(measures) == 1
    assert [ts.ratioString for ts in part.recurse().getElementsByClass(music21.meter.TimeSignature)] == ["64/4"]
    assert not list(part.recurse().getElementsByClass(music21.key.KeySignature))


def test_the_lowest_octave_is_spelled(tmp_path):
    """Keys 0-11 are octave -1: "C#-1" written as one name read as C with the accidental "#-"
    (exit 70, found by the fuzz suite at CI volume)."""
    low = "".join(f'{{"type":"Note","t":{i * 480},"dur":480,"ch":0,"key":{k},"vel":80}}\n'
                  for i, k in enumerate((0, 1, 10, 61)))
    sh(f"to-musicxml --out {tmp_path}/low.musicxml", input=low)
    notes = list(read(tmp_path / "low.musicxml").parts[0].recurse().notes)
    assert [n.pitch.midi for n in notes] == [0, 1, 10, 61]


def test_overlapping_notes_are_sliced_into_tied_chords(tmp_path):
    """A staircase: each note enters a sixteenth after the last and is held to the bar's end."""
    stairs = "".join(f'{{"type":"Note","t":{i * 120},"dur":{1920 - i * 120},"ch":0,'
                     f'"key":{60 + i},"vel":80}}\n' for i in range(4))
    sh(f"to-musicxml --out {tmp_path}/s.musicxml", input=stairs)
    notes = list(read(tmp_path / "s.musicxml").parts[0].recurse().notes)
    assert [len(n.pitches) for n in notes][:4] == [1, 2, 3, 4]
    assert {len(n.pitches) for n in notes[3:]} == {4}
    assert [n.quarterLength for n in notes][:3] == [0.25] * 3
    assert sum(n.quarterLength for n in notes[3:]) == 3.25
    assert notes[0].tie.type == "start"
    assert [p.nameWithOctave for p in notes[3].pitches] == ["C4", "C#4", "D4", "D#4"]


def test_a_track_that_is_not_text_is_refused_as_to_midi_refuses_it(tmp_path):
    proc = sh(f"to-musicxml --out {tmp_path}/x.musicxml", check=False,
              input='{"type":"Note","t":0,"dur":1,"ch":0,"key":0,"vel":1,"track":1}\n')
    assert proc.returncode == 65 and b'"track" must be text' in proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and not (tmp_path / "x.musicxml").exists()
