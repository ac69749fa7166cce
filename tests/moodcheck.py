"""Every built-in mood at a few seeds, arranged in-process and measured with `analyze`.

Shared by the music tests (tests/test_music.py) and `bin/bench music`, so the figures in a
note and the ranges the tests assert come from one computation.
"""

from __future__ import annotations

import statistics
from functools import lru_cache

from musicpipe.analyze import analyze
from musicpipe.moods.arrange import arrange, plan
from musicpipe.moods.packs import Library
from musicpipe.theory import parse_key

SEEDS = (1, 2, 3)
SECONDS = 20.0
ENDING = ("final_onset_on_bar", "final_chord_tonic", "melody_held_tonic", "drums_one_hit",
          "no_blips")


def melody_channel(mood: dict, intensity: int) -> int | None:
    """The channel of the mood's first melodic (motif) layer."""
    return next((ch for _, _, gen, ch in plan(mood, intensity) if gen == "motif"), None)


@lru_cache(maxsize=None)
def report(name: str, seed: int, seconds: float = SECONDS, key: str | None = None) -> dict:
    """``analyze`` of one mood piece, judged in the key it was asked in."""
    mood = Library().resolve(name)
    asked = parse_key(key or mood.get("key", "C"))
    events = arrange(mood, seconds=seconds, key=asked, seed=seed)
    intensity = mood.get("intensity", 50)
    return analyze(events, key=asked, melody=melody_channel(mood, intensity))


def ending_checks(rep: dict) -> dict[str, bool]:
    """The five ending criteria of issue 10, each true or false for one piece."""
    end = rep["ending"]
    return {
        "final_onset_on_bar": end["final_onset_on_bar"],
        "final_chord_tonic": end["final_chord_tonic"],
        "melody_held_tonic": end.get("melody_last_tonic_chord", False) and end.get("melody_last_beats", 0) >= 1,
        "drums_one_hit": end["drum_hits_final_bar"] <= 1,
        "no_blips": end["blips_last_beat"] == 0,
    }


def summary(name: str) -> dict:
    """One mood over SEEDS: endings passed (of len(SEEDS)) per criterion, and mean measures."""
    reps = [report(name, s) for s in SEEDS]
    checks = [ending_checks(r) for r in reps]
    mel = [r["melody"] for r in reps if r["melody"]]
    mean = lambda xs: round(statistics.mean(xs), 2) if xs else 0.0  # noqa: E731
    return {
        "endings": {c: sum(ch[c] for ch in checks) for c in ENDING},
        "buried": mean([m["buried"] for m in mel]), "unison": mean([m["unison"] for m in mel]),
        "steps": mean([m["steps"] for m in mel]), "leaps": mean([m["leaps_over_7"] for m in mel]),
        "loop": mean([r["repetition"]["similarity"] for r in reps]),
        "pitch_classes": mean([r["pitch_classes"] for r in reps]),
        "notes_per_second": mean([r["pitched_notes_per_second"] for r in reps]),
        "polyphony": mean([r["polyphony"] for r in reps]),
    }
