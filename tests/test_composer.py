"""The mood engine as a composer (issue 22): pieces that the seed plans, that develop over
minutes, and knobs that keep the tune. Figures from `analyze` (tests/formcheck.py, the
table in the issue's note: `python -m tests.formcheck`), over the 12 built-in moods at the
issue's lengths and seeds; stream generation only, no audio."""

from __future__ import annotations

import itertools
import statistics

import pytest

from musicpipe.events import PPQ
from musicpipe.harmony import parallel
from musicpipe.moods.arrange import arrange, plan
from musicpipe.moods.packs import Library
from musicpipe.theory import parse_key
from tests.formcheck import (LONG, SHORT, knob_figures, line_figures, long_figures, moods,
                             piece, same_tune, seed_sharing, shared)

MOODS = [m["name"] for m in moods()]
BY_NAME = {m["name"]: m for m in moods()}


def mood_piece(name: str, seconds: float, seed: int, **kw) -> list[dict]:
    mood = Library().resolve(name)
    key = kw.pop("key", None) or parse_key(mood["key"])
    return arrange(mood, seconds=seconds, key=key, seed=seed, **kw)


@pytest.mark.parametrize("name", MOODS)
def test_three_minutes_are_not_wallpaper(name):
    """180 s, seeds 1-2: no 4- or 8-bar chord loop over 32 bars; at most 60 % of the melody's
    bars after the first minute repeat an earlier bar."""
    f = long_figures(name)
    assert max(f["loop"]) <= 32, f
    assert max(f["repeats"]) <= 0.60, f


def test_density_rises_and_falls_in_ten_moods():
    """Density over 8-bar blocks varies (coefficient of variation >= 0.15, both seeds)."""
    varied = [n for n in MOODS if min(long_figures(n)["cv"]) >= 0.15]
    assert len(varied) >= 10, varied


@pytest.mark.parametrize("name", MOODS)
def test_two_seeds_are_two_pieces(name):
    """60 s, seeds 1-4: no two seeds share more than half their chords per beat or of their
    accompaniment bars (a drone held all piece long aside)."""
    f = seed_sharing(name)
    assert f["chords"] <= 0.5 and f["bars"] <= 0.5, f


def test_one_seed_is_three_tunes_in_three_moods():
    """upbeat, synthwave and chiptune at one seed (1-4): no two of their melodies share
    more than 60 % of their onsets."""
    tunes = same_tune()
    assert max(tunes.values()) <= 0.60, tunes


@pytest.mark.parametrize("name", MOODS)
def test_the_melody_has_an_arc(name):
    """60 s, seeds 1-4: a range of at least 12 semitones and a top note struck at most 4
    times a minute (medians); the pitches sounding at once, at most 4.7 on average."""
    f = line_figures(name)
    assert f["range"] >= 12 and f["top"] <= 4, f
    assert f["poly"] <= 4.7, f


def test_harmony_has_colour_and_minor_cadences_their_leading_tone():
    figures = {n: line_figures(n) for n in MOODS}
    assert sum(f["chromatic_seeds"] > 0 for f in figures.values()) >= 8
    for name in ("orchestral", "suspense", "eerie"):
        assert figures[name]["leading"] == 4, name


@pytest.mark.parametrize("name", MOODS)
def test_key_and_intensity_keep_the_tune(name):
    """60 s, seeds 1-2: --key a tone up keeps every melody onset and its intervals;
    --intensity 90 keeps the tune's onsets and plays 15 % more notes where the mood's own
    intensity is 70 or less."""
    f = knob_figures(BY_NAME[name])
    assert f["key_onsets"] == 1.0 and f["key_intervals"] >= 0.95, f
    if f["loud_kept"] is not None:
        assert f["loud_kept"] >= 0.8 and f["loud_notes"] >= 1.15, f


@pytest.mark.parametrize("name", ["jazz", "calm", "synthwave", "eerie"])
def test_key_transposes_the_same_piece_in_any_key(name):
    """Every key of the mood's mode: the same onsets, every melody interval."""
    mood = BY_NAME[name]
    root, mode = parse_key(mood["key"])
    home = piece(name, 30.0, 3)
    for step in (1, 5, 6, 7, 11):
        other = piece(name, 30.0, 3, key=f"{'C C# D Eb E F F# G Ab A Bb B'.split()[(root + step) % 12]}"
                      f"{'m' if mode == 'minor' else ''}")
        c = shared(home, other)
        assert c["melody_onsets"] == 1.0 and c["melody_intervals"] == 1.0, (step, c)


@pytest.mark.parametrize("name", ["upbeat", "orchestral", "lofi"])
def test_tempo_keeps_the_tune(name):
    """A piece at another tempo plays the same tune: the melody of its first 16 bars, in
    bars and beats, is the same."""
    mood = Library().resolve(name)

    def tune(tempo):
        seconds = 32 * 4 * 60 / tempo  # 32 bars
        evs = mood_piece(name, seconds, 2, tempo=tempo)
        ch = next(ch for _, _, gen, ch in plan(mood, mood["intensity"]) if gen == "motif")
        return [(round(n["t"] / 60), n["key"]) for n in evs
                if n["type"] == "Note" and n["ch"] == ch and n["t"] < 16 * 4 * PPQ]

    assert tune(mood["tempo"]) == tune(mood["tempo"] * 0.8) == tune(mood["tempo"] * 1.25)


@pytest.mark.parametrize("name", MOODS)
def test_the_mood_name_is_in_the_seed(name):
    """Two moods at one seed draw their decisions apart: a pack mood that only renames a
    built-in one plays another tune."""
    mood = Library().resolve(name)
    renamed = dict(mood, name=name + "-again")
    key = parse_key(mood["key"])
    a = arrange(mood, seconds=20, key=key, seed=5)
    b = arrange(renamed, seconds=20, key=key, seed=5)
    assert [n for n in a if n["type"] == "Note"] != [n for n in b if n["type"] == "Note"]


@pytest.mark.parametrize("seconds", [8, 30, 95, 240, 600])
def test_the_form_scales_from_seconds_to_minutes(seconds):
    """8 s to 10 min: the exact length, sections that return and contrast, and in a long
    piece a breakdown, a build and a lift."""
    from musicpipe.moods.arrange import Context

    mood = Library().resolve("upbeat")
    tempo = mood["tempo"]
    ticks = round(seconds * tempo / 60 * PPQ)
    ctx = Context(mood, key=parse_key(mood["key"]), tempo=tempo, intensity=70, seed=4,
                  ticks=ticks, seconds=seconds)
    body = [s for s in ctx.form.sections if s.kind not in ("intro", "outro")]
    assert sum(s.bars for s in ctx.form.sections) == ctx.body_bars
    assert ctx.form.sections[-1].last
    if seconds >= 95:
        assert len({s.theme for s in body}) >= 2 and any(s.index for s in body)
    if seconds >= 240:
        roles = {s.role for s in body}
        assert {"breakdown", "build", "lift"} <= roles, roles
        lift = next(s for s in body if s.role == "lift")
        assert lift is not body[-1] and body[-1].theme == "A"
    evs = mood_piece("upbeat", seconds, 4)  # whole bars: the tempo fitted within 4 %
    assert evs[-1]["t"] % ctx.bar == 0 and abs(evs[-1]["t"] / ticks - 1) <= 0.04


def bass_and_top(evs: list[dict], chords_ch: int, bass_ch: int) -> list[tuple[int, int] | None]:
    """At each Chord change: the bass sounding then and the top of the chord struck in its
    first beat (a staggered pad's upper voices enter on the second); None where either is
    silent."""
    notes = [n for n in evs if n["type"] == "Note"]
    out = []
    for ch in (e for e in evs if e["type"] == "Chord"):
        t = ch["t"]
        bass = [n["key"] for n in notes if n["ch"] == bass_ch and n["t"] <= t + 40 < n["t"] + n["dur"]]
        top = [n["key"] for n in notes if n["ch"] == chords_ch and t - 40 <= n["t"] <= t + PPQ + 40]
        out.append((min(bass), max(top)) if bass and top else None)
    return out


@pytest.mark.parametrize("name", ["orchestral", "calm", "synthwave", "heroic", "eerie"])
def test_no_parallel_fifths_or_octaves_between_bass_and_top_voice(name):
    """music21's voice-leading oracle over every chord change of three seeds: the chords'
    top voice never moves in parallel fifths or octaves with the bass."""
    from music21 import pitch, voiceLeading

    mood = Library().resolve(name)
    layers = plan(mood, mood["intensity"])
    chords_ch = next(ch for n, layer, gen, ch in layers if gen == "chords")
    bass_ch = next(ch for n, layer, gen, ch in layers if gen == "bass")
    moves = 0
    for seed in (1, 2, 3):
        pairs = bass_and_top(mood_piece(name, 60, seed), chords_ch, bass_ch)
        for one, two in zip(pairs, pairs[1:]):
            if one is None or two is None:
                continue
            (b0, t0), (b1, t1) = one, two
            q = voiceLeading.VoiceLeadingQuartet(pitch.Pitch(midi=t0), pitch.Pitch(midi=t1),
                                                 pitch.Pitch(midi=b0), pitch.Pitch(midi=b1))
            assert not q.parallelFifth() and not q.parallelOctave(), (seed, b0, t0, b1, t1)
            assert not parallel((t0, t1), (b0, b1))
            moves += 1
    assert moves >= 20


@pytest.mark.parametrize("name", ["calm", "orchestral", "ambient"])
def test_pads_of_two_to_four_voices_keep_common_tones(name):
    """Each chord's voicing (struck in its first beat) has 2-4 voices; where two chords
    share a tone, the pad often holds it on the same key; the top voice moves little."""
    from musicpipe.theory import parse_chord

    mood = Library().resolve(name)
    chords_ch = next(ch for _, _, gen, ch in plan(mood, mood["intensity"]) if gen == "chords")
    evs = mood_piece(name, 60, 2)
    notes = [n for n in evs if n["type"] == "Note" and n["ch"] == chords_ch]
    voicings = []
    for c in (e for e in evs if e["type"] == "Chord"):
        keys = {n["key"] for n in notes if c["t"] - 40 <= n["t"] <= c["t"] + PPQ + 40}
        root, intervals = parse_chord(c["name"])
        voicings.append((keys, {(root + i) % 12 for i in intervals}))
    sizes = [len(k) for k, _ in voicings if k]
    assert sizes and min(sizes) >= 2 and max(sizes) <= 4, sizes
    pairs = [(a, b) for (a, _), (b, _) in zip(voicings, voicings[1:]) if a and b]
    sharing = [(a, b) for (a, pa), (b, pb) in zip(voicings, voicings[1:]) if a and b and pa & pb]
    held = sum(bool(a & b) for a, b in sharing)
    assert held >= 0.3 * len(sharing), (held, len(sharing))  # under a moving melody's ceiling
    assert statistics.mean(abs(max(a) - max(b)) for a, b in pairs) <= 4  # the top voice steps


def test_drums_fill_where_a_phrase_turns_and_crash_only_on_section_starts():
    from musicpipe.moods.arrange import Context

    mood = Library().resolve("jazz")
    seconds, tempo = 180, mood["tempo"]
    evs = mood_piece("jazz", seconds, 1)
    ctx = Context(mood, key=parse_key(mood["key"]), tempo=tempo, intensity=mood["intensity"], seed=1,
                  ticks=round(seconds * tempo / 60 * PPQ), seconds=seconds)
    bar = 4 * PPQ
    starts = {s.start for s in ctx.form.sections} | {ctx.body_bars}
    drums = [n for n in evs if n["type"] == "Note" and n["ch"] == 9]
    crashes = {(n["t"] + 60) // bar for n in drums if n["key"] == 49}
    assert crashes <= starts, sorted(crashes - starts)
    toms = {(n["t"] + 60) // bar for n in drums if n["key"] in (41, 43, 45, 47, 48, 50)}
    assert 0 < len(toms) < ctx.body_bars // 4  # not every four bars


def test_drums_sit_where_the_style_feels_them():
    """A lofi snare behind the beat, a pushed jazz ride (the mean offset, not just jitter)."""

    def offset(name, key):
        evs = mood_piece(name, 60, 3)
        offs = [(n["t"] + PPQ // 2) % PPQ - PPQ // 2 for n in evs  # hits near a beat
                if n["type"] == "Note" and n["ch"] == 9 and n["key"] == key]
        return statistics.mean(o for o in offs if abs(o) < 60)

    assert offset("lofi", 38) > 10
    assert offset("jazz", 51) < -4


@pytest.mark.parametrize("name", ["calm", "orchestral", "jazz", "eerie"])
def test_the_ending_slows_and_lands_on_the_second(name):
    """A ritardando into the final chord (Tempo changes, slower each), the exact length,
    and the last chord let go before the end."""
    import io

    import mido

    from musicpipe.midi import midi_bytes

    for seconds in (20, 47.5):
        evs = mood_piece(name, seconds, 2)
        tempos = [e["bpm"] for e in evs if e["type"] == "Tempo"]
        assert len(tempos) > 2 and all(b < a for a, b in zip(tempos, tempos[1:])), tempos
        assert mido.MidiFile(file=io.BytesIO(midi_bytes(evs))).length == pytest.approx(seconds, abs=1e-4)
        end = evs[-1]["t"]
        last = max(n["t"] for n in evs if n["type"] == "Note")
        finals = [n for n in evs if n["type"] == "Note" and n["t"] == last]
        assert all(n["t"] + n["dur"] < end for n in finals)


def test_pieces_of_one_mood_open_differently():
    """The seed picks the intro and the opening: four seeds do not all open alike."""
    openings = set()
    for seed in (1, 2, 3, 4):
        evs = mood_piece("upbeat", 30, seed)
        mel = [n for n in evs if n["type"] == "Note" and n["ch"] == 0]
        openings.add((mel[0]["t"] // (4 * PPQ), mel[0]["key"]))
    assert len(openings) >= 3, openings


def test_figures_cover_every_builtin_mood():
    assert len(MOODS) == 12
    assert SHORT == 60 and LONG == 180
    assert list(itertools.islice(MOODS, 1))
