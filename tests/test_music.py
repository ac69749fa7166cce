"""Moods measured as a listener hears them (issue 10's ranges), with `analyze`.

Every built-in mood at 3 seeds and 20 s (36 pieces): the endings, the melody against the
accompaniment, steps and leaps, repetition in long pieces, distinct drum styles, one key for
every layer in every key and mode. The figures per mood: `bin/bench music`.
"""

from __future__ import annotations

import itertools
import statistics

import pytest

from musicpipe.moods.arrange import arrange, plan
from musicpipe.moods.packs import Library
from musicpipe.theory import SCALES, key_name, parse_chord, parse_key
from tests.moodcheck import ENDING, SEEDS, ending_checks, report

BUILTIN = [n for n in Library().names() if Library().source_of(n) == "built-in"]
PIECES = [(name, seed) for name in BUILTIN for seed in SEEDS]


def test_thirty_six_pieces():
    assert len(BUILTIN) == 12 and len(PIECES) == 36


@pytest.mark.parametrize("check", ENDING)
def test_endings_close_on_the_tonic(check):
    """Each of the five ending checks holds in at least 33 of the 36 pieces."""
    failed = [p for p in PIECES if not ending_checks(report(*p))[check]]
    assert len(failed) <= 3, failed


def test_most_pieces_pass_all_five_ending_checks():
    passed = sum(all(ending_checks(report(*p)).values()) for p in PIECES)
    assert passed >= 33, passed


def test_the_final_bar_is_not_the_loudest():
    ratios = [report(*p)["ending"]["final_bar_velocity"] for p in PIECES]
    assert statistics.median(ratios) <= 1.0 and max(ratios) < 1.15, ratios


def test_the_melody_is_not_buried():
    buried = [report(*p)["melody"]["buried"] for p in PIECES]
    assert statistics.median(buried) <= 0.35, buried
    assert statistics.median(report(*p)["melody"]["unison"] for p in PIECES) <= 0.1


def test_steps_dominate_and_big_leaps_are_rare():
    """Pooled over every melody interval of the 36 pieces."""
    steps = leaps = moves = 0
    for p in PIECES:
        mel = report(*p)["melody"]
        count = mel["notes"] - 1
        moves += count
        steps += mel["steps"] * count
        leaps += mel["leaps_over_7"] * count
    assert moves > 1000
    assert steps / moves >= 0.55 and leaps / moves <= 0.10, (steps / moves, leaps / moves)


def test_no_mood_is_leap_heavy():
    for name in BUILTIN:
        assert statistics.mean(report(name, s)["melody"]["leaps_over_7"] for s in SEEDS) <= 0.15, name


@pytest.mark.parametrize("name", BUILTIN)
def test_long_pieces_are_not_one_loop(name):
    """At 16 bars and more, bars are not copies of the bars a loop earlier (<= 0.9)."""
    mood = Library().resolve(name)
    seconds = 20 * 4 * 60 / mood.get("tempo", 100)  # 20 bars
    for seed in SEEDS:
        rep = report(name, seed, seconds=seconds)
        assert rep["bars"] >= 16
        assert rep["repetition"]["similarity"] <= 0.9, (seed, rep["repetition"])


def test_pieces_have_sections_the_layers_enter_later():
    """An intro: not every layer starts on the first beat; the melody comes in later."""
    mood = Library().resolve("upbeat")
    evs = arrange(mood, seconds=30, key=(0, "major"), seed=1)
    first = {}
    for e in evs:
        if e["type"] == "Note":
            first.setdefault(e["ch"], e["t"])
    # (onsets humanized, and the drums' feel may sit a few ticks ahead of the beat)
    assert first[1] < 30 and first[0] >= 1920 - 30 and first[9] >= 1920 - 30, first


def drum_pattern(name: str) -> frozenset:
    """The (offset in the bar, drum) hits of a mood's drums over its A sections."""
    mood = Library().resolve(name)
    evs = arrange(mood, seconds=40, key=parse_key(mood["key"]), seed=1, intensity=70)
    hits = {((e["t"] + 30) % 1920 // 60, e["key"]) for e in evs  # sixtieths, humanizing undone
            if e["type"] == "Note" and e["ch"] == 9 and 4 * 1920 <= e["t"] < 8 * 1920}
    return frozenset(hits)


def test_upbeat_synthwave_and_chiptune_have_their_own_beats():
    patterns = {n: drum_pattern(n) for n in ("upbeat", "synthwave", "chiptune")}
    for a, b in itertools.combinations(patterns, 2):
        assert patterns[a] != patterns[b], (a, b)
    kicks = {n: {o for o, k in p if k == 36} for n, p in patterns.items()}
    assert kicks["upbeat"] >= {0, 8, 16, 24}  # four on the floor stays four on the floor
    assert len({frozenset(k) for k in kicks.values()}) == 3, kicks


def test_jazz_rides_the_spang_a_lang_with_the_hat_on_two_and_four():
    hits = drum_pattern("jazz")
    ride = {o for o, k in hits if k == 51}
    assert {0, 8, 16, 24} <= ride and ride & {13, 29}  # beats, and the swung let (2/3 of a beat)
    assert {o for o, k in hits if k == 44} == {8, 24}


@pytest.mark.parametrize("name", ["upbeat", "suspense", "calm", "jazz", "synthwave"])
def test_every_key_and_mode_keeps_every_layer_in_one_key(name):
    """Major and minor on all 12 roots: the melody stays in the key's scale (minor: natural,
    with the raised 7th of the dominant), every layer mostly does (the style's borrowed
    chords and chromatic approach notes aside), the chords and the bass's downbeats play
    tones of the Chord in force, the piece closes on that key's tonic chord, and the KeySig
    names the key."""
    mood = Library().resolve(name)
    gens = {ch: gen for _, _, gen, ch in plan(mood, mood.get("intensity", 50))}
    for root, mode in itertools.product(range(12), ("major", "minor")):
        asked = key_name(root, mode)
        evs = arrange(mood, seconds=30, key=(root, mode), seed=3)
        steps = set(SCALES[mode]) | ({11} if mode == "minor" else set())
        pcs = {(root + s) % 12 for s in steps}
        by_ch: dict[int, list[dict]] = {}
        for e in evs:
            if e["type"] == "Note" and e["ch"] != 9:
                by_ch.setdefault(e["ch"], []).append(e)
        for ch, notes in by_ch.items():
            inside = sum(n["key"] % 12 in pcs for n in notes) / len(notes)
            assert inside >= (0.85 if gens[ch] == "motif" else 0.7), (asked, gens[ch], inside)
        changes = [(e["t"], e["t"] + e["dur"], parse_chord(e["name"])) for e in evs if e["type"] == "Chord"]
        agree = total = 0
        for ch, notes in by_ch.items():  # bass on downbeats, chords always: in the chord in force
            for n in notes:
                if gens[ch] == "chords" or gens[ch] == "bass" and (n["t"] + 30) % 1920 < 60:
                    t = n["t"] + 30  # past humanized onsets
                    root, intervals = next(c for s, e, c in changes if s <= t < e)
                    total += 1
                    agree += (n["key"] - root) % 12 in {i % 12 for i in intervals}
        assert total >= 20 and agree / total >= 0.95, (asked, agree, total)
        rep = report(name, 3, seconds=12.0, key=asked)
        assert rep["ending"]["final_chord_tonic"], asked
        sig = next(e for e in evs if e["type"] == "KeySig")
        assert parse_key(f"{sig['key']} {sig['mode']}") == (root, mode)
