"""chords, bass and motif following the chords: harmony in the stream, through real pipes."""

from __future__ import annotations

import pytest

from musicpipe.theory import parse_chord
from tests.conftest import BIN, events, notes, sh


def chord_events(evs):
    return [e for e in evs if e["type"] == "Chord"]


def chord_at(evs, t):
    for c in chord_events(evs):
        if c["t"] <= t < c["t"] + c["dur"]:
            root, intervals = parse_chord(c["name"])
            return {(root + i) % 12 for i in intervals}
    return None


def test_numerals_in_a_key_become_chord_events_and_voicings():
    evs = events(sh('chords "I vi IV V" --key G').stdout)
    assert [c["name"] for c in chord_events(evs)] == ["G", "Em", "C", "D"]
    assert [(c["t"], c["dur"]) for c in chord_events(evs)] == [(0, 1920), (1920, 1920), (3840, 1920), (5760, 1920)]
    assert {"type": "KeySig", "t": 0, "key": "G", "mode": "major"} in evs
    for n in notes(evs):
        assert n["key"] % 12 in chord_at(evs, n["t"]) and 48 <= n["key"] <= 48 + 14
    tops = [max(n["key"] for n in notes(evs) if n["t"] == t) for t in range(0, 7680, 1920)]
    assert all(abs(a - b) <= 5 for a, b in zip(tops, tops[1:])), tops  # voice leading


def test_chord_symbols_sevenths_and_three_voices():
    evs = events(sh('chords Am7 D7 Gmaj7 Cmaj7 --voices 4').stdout)
    assert [(c["root"], c["quality"]) for c in chord_events(evs)] == [("A", "m7"), ("D", "7"), ("G", "maj7"), ("C", "maj7")]
    assert [len([n for n in notes(evs) if n["t"] == t]) for t in range(0, 7680, 1920)] == [4, 4, 4, 4]
    three = events(sh('chords Am7 D7').stdout)  # a seventh chord drops its fifth
    assert {n["key"] % 12 for n in notes(three) if n["t"] == 0} == {9, 0, 7}


@pytest.mark.parametrize("style, onsets", [
    ("block", [0, 1920]),          # struck every bar
    ("pad", [0]),                  # held
    ("arp", list(range(0, 3840, 240))),
])
def test_styles(style, onsets):
    evs = events(sh(f'chords "I" --bars-per-chord 2 --style {style} --rate 8').stdout)
    assert sorted({n["t"] for n in notes(evs)}) == onsets
    if style == "pad":
        assert all(n["dur"] == 3840 - 10 for n in notes(evs))


def test_comping_is_seeded():
    a = sh('chords "ii7 V7 Imaj7" --key Bb --style comp --seed 4').stdout
    assert a == sh('chords "ii7 V7 Imaj7" --key Bb --style comp --seed 4').stdout
    assert a != sh('chords "ii7 V7 Imaj7" --key Bb --style comp --seed 5').stdout
    assert b'"Seed"' in a


def test_time_signature_and_key_reach_music21(tmp_path):
    music21 = pytest.importorskip("music21")
    mid = tmp_path / "waltz.mid"
    sh(f'chords "I IV V I" --key Bb --time-sig 3/4 --patch piano | motif --bars 4 --time-sig 3/4 '
       f'--root Bb --seed 2 | to-midi --out {mid}')
    score = music21.converter.parse(str(mid))
    sig = score.recurse().getElementsByClass("TimeSignature")[0]
    key = score.recurse().getElementsByClass("KeySignature")[0]
    assert sig.ratioString == "3/4" and key.sharps == -2
    assert score.highestTime == pytest.approx(12.0)  # 4 bars of 3 beats


def test_bass_follows_the_stream_chords_at_their_times():
    evs = events(sh('chords "I vi IV V" --key G | bass --seed 1').stdout)
    low = [n for n in notes(evs) if n["ch"] == 2]
    firsts = {t: min(n["key"] for n in low if n["t"] == t) for t in range(0, 7680, 1920)}
    assert [k % 12 for k in firsts.values()] == [7, 4, 0, 2]  # G E C D: the roots
    assert all(28 <= n["key"] <= 28 + 14 for n in low)


def test_walking_bass_quarters_and_pedal_on_the_keys_tonic():
    walk = [n for n in notes(events(sh('chords "ii7 V7 Imaj7 vi7" --key F | bass --style walking --seed 3').stdout))
            if n["ch"] == 2]
    assert [n["t"] for n in walk] == list(range(0, 7680, 480))
    pedal = [n for n in notes(events(sh('chords "i iv v i" --key Dm | bass --style pedal').stdout)) if n["ch"] == 2]
    assert {n["key"] % 12 for n in pedal} == {2} and len(pedal) == 4


def test_bass_from_its_own_progression_and_without_any_chords():
    evs = events(sh('bass --chords "Am F C G" --style octave --seed 1 --at 1bar').stdout)
    low = notes(evs)
    assert low[0]["t"] == 1920 and low[0]["key"] % 12 == 9 and max(n["t"] for n in low) < 1920 * 5
    proc = sh("seed 1 | motif | bass", check=False)
    assert proc.returncode == 2 and b"no Chord events" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1


def test_the_melody_follows_the_chords_on_the_beat():
    """chords | bass | motif over 50 seeds: at least 80 % of on-beat melody notes are tones of
    the chord in force (and without chords to follow, far fewer are)."""
    loop = ('for s in {0..49}; do chords "I vi IV V" --key G --style comp --seed $s '
            '| bass --seed $s | motif --bars 4 --root G --seed $s; echo SPLIT; done')
    hits = total = 0
    for chunk in sh(loop, timeout=300).stdout.split(b"SPLIT\n")[:-1]:
        evs = events(chunk)
        for n in notes(evs):
            if n["ch"] == 0 and n["t"] % 480 == 0:
                total += 1
                hits += n["key"] % 12 in chord_at(evs, n["t"])
    assert total > 500 and hits / total >= 0.8, hits / total
    ignored = events(sh('chords "I vi IV V" --key G | motif --bars 4 --root G --seed 1 --ignore-chords').stdout)
    followed = events(sh('chords "I vi IV V" --key G | motif --bars 4 --root G --seed 1').stdout)
    assert notes(ignored) != notes(followed)


def test_pairs_output_leaves_the_chord_events_out():
    out = sh('chords "I V" --pairs').stdout
    assert b'"Chord"' not in out and b'"NoteOn"' in out


def test_bad_progression_is_one_line_exit_2():
    proc = sh('chords "I IX V"', check=False)
    assert proc.returncode == 2 and b"not a Roman numeral" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert (BIN / "chords").exists() and (BIN / "bass").exists()


def test_bar_lines_share_a_bar_among_its_chords():
    evs = events(sh('chords "C Am | F G7"').stdout)
    assert [(c["name"], c["t"], c["dur"]) for c in chord_events(evs)] == [
        ("C", 0, 960), ("Am", 960, 960), ("F", 1920, 960), ("G7", 2880, 960)]
    assert {n["t"] for n in notes(evs)} == {0, 960, 1920, 2880}  # Am struck on beat 3 of bar 1
    three = events(sh('chords "C | Dm G7 Em" --time-sig 3/4 --repeat 2').stdout)
    assert [(c["t"], c["dur"]) for c in chord_events(three)][:4] == [(0, 1440), (1440, 480), (1920, 480), (2400, 480)]
    assert chord_events(three)[4]["t"] == 2880  # the repeat starts after two bars
    bad = sh('chords "C | | G"', check=False)
    assert bad.returncode == 2 and b"empty bar" in bad.stderr


def test_the_writers_spelling_is_kept_in_names_and_key_signatures(tmp_path):
    evs = events(sh('chords "Gb Ebm | Cb Db7 F#m7b5" --key Gb').stdout)
    assert [c["name"] for c in chord_events(evs)] == ["Gb", "Ebm", "Cb", "Db7", "F#m7b5"]
    assert [c["root"] for c in chord_events(evs)] == ["Gb", "Eb", "Cb", "Db", "F#"]
    assert {"type": "KeySig", "t": 0, "key": "Gb", "mode": "major"} in evs
    import mido

    for key, written in (("Gb", "Gb"), ("Cb", "Cb"), ("F#", "F#"), ("Db", "Db"), ("D#m", "D#m"), ("Ebm", "Ebm")):
        sh(f'chords "I IV" --key {key} | to-midi --out {tmp_path}/k.mid')
        sigs = [m.key for t in mido.MidiFile(tmp_path / "k.mid").tracks for m in t
                if m.type == "key_signature"]
        assert sigs == [written], key
    assert [c["name"] for c in chord_events(events(sh('chords "I IV V7" --key Gb').stdout))] == ["Gb", "Cb", "Db7"]
    assert [c["name"] for c in chord_events(events(sh('chords "I III bVII iv" --key E').stdout))] == \
        ["E", "G#", "D", "Am"]


def test_parts_default_to_instruments_of_their_role_and_are_named_after_it():
    evs = events(sh('chords "I V" | bass --style walking --seed 1').stdout)
    heads = [(e["type"], e.get("ch"), e.get("text", e.get("program"))) for e in evs
             if e["type"] in ("Marker", "ProgramChange")]
    assert heads == [("Marker", 1, "Chords"), ("ProgramChange", 1, 0), ("Marker", 2, "Bass"),
                     ("ProgramChange", 2, 32)]
    pad = events(sh('chords "I V" --style pad | bass --style root --name Low').stdout)
    assert ("ProgramChange", 1, 89) in [(e["type"], e.get("ch"), e.get("program")) for e in pad]
    assert ("ProgramChange", 2, 33) in [(e["type"], e.get("ch"), e.get("program")) for e in pad]
    assert ("Marker", 2, "Low") in [(e["type"], e.get("ch"), e.get("text")) for e in pad]


@pytest.mark.parametrize("seed", range(1, 9))
def test_walking_bass_stays_in_register_on_chord_tones_on_strong_beats_and_ends_home(seed):
    evs = events(sh(f'chords "I vi | IV V | ii7 V7 | I" --key G --seed {seed} '
                    f'| bass --style walking --seed {seed}').stdout)
    line = [n for n in notes(evs) if n["ch"] == 2]
    assert all(28 <= n["key"] <= 28 + 14 for n in line), [n["key"] for n in line]  # E1 .. F#2
    for n in line:
        if n["t"] % 960 == 0:  # beats 1 and 3
            assert n["key"] % 12 in chord_at(evs, n["t"]), n
    assert line[-1]["key"] % 12 == 7  # G, the tonic under the final G chord


def test_the_readme_song_opens_with_a_bass_staff_and_ends_on_the_tonic(tmp_path):
    import mido

    sh('chords "I vi | IV V | ii V | I" --key G --style comp --bpm 100 --seed 2 | bass --style walking --seed 2 '
       f'| motif --bars 4 --root G --seed 2 | to-midi --out {tmp_path}/song.mid')
    mid = mido.MidiFile(tmp_path / "song.mid")
    names = [m.name for t in mid.tracks for m in t if m.type == "track_name"]
    assert "Bass" in names and "Chords" in names
    assert [m.tempo for m in mid.tracks[0] if m.type == "set_tempo"] == [600000]  # 100 BPM
    last = {}
    for track in mid.tracks:
        now = 0
        for m in track:
            now += m.time
            if m.type == "note_on" and m.velocity:
                last[m.channel] = max(last.get(m.channel, (0, 0)), (now, m.note))
    assert last[2][1] % 12 == 7  # the bass's last note is a G
