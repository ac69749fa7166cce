"""musicpipe.smf, the direct SMF writer: its bytes are the ones the mido-based writer made.

The digest below was taken with the writer this one replaced (mido messages, MidiFile.save)
on the same seeded streams: every kind of event, tracks sharing channels, overlapping and
chord notes, End cuts, rescaling, type 0, titles, and the errors. A change of the bytes for
any of them shows here.
"""

from __future__ import annotations

import hashlib
import random


from musicpipe.midi import MidiError, midi_bytes

OPTIONS = ({}, {"type": 0}, {"ppq": 96}, {"ppq": 1000, "title": "Song ♪"}, {"type": 0, "ppq": 7})
PINNED = "5a35776fe52233be4329c9be41e725fe236dbf44ead7d4ba4230aa472eb4cc02"


def varied_stream(seed: int) -> list[dict]:
    """A random but reproducible stream mixing every event kind the writer reads."""
    rng = random.Random(seed)
    evs = []
    for _ in range(rng.choice([0, 1, 5, 40, 300])):
        r, t = rng.random(), rng.randrange(rng.choice([2000, 20000, 200000]))
        ch = rng.choice([0, 1, 2, 9, 9, 15])
        if r < 0.6:
            ev = {"type": "Note", "t": t, "dur": rng.choice([1, 2, 60, 120, 479, 480, 2000]), "ch": ch,
                  "key": rng.choice([60, 62, 64, 36, 42, 0, 127]), "vel": rng.randrange(1, 128)}
        elif r < 0.65:
            ev = {"type": "ProgramChange", "t": rng.choice([0, t]), "ch": ch, "program": rng.randrange(128)}
        elif r < 0.7:
            ev = {"type": "ControlChange", "t": t, "ch": ch, "cc": rng.randrange(128),
                  "value": rng.randrange(128)}
        elif r < 0.73:
            ev = {"type": "PitchBend", "t": t, "ch": ch, "value": rng.randrange(-8192, 8192)}
        elif r < 0.75:
            ev = {"type": "ChannelPressure", "t": t, "ch": ch, "value": rng.randrange(128)}
        elif r < 0.8:
            ev = {"type": "Marker", "t": rng.choice([0, t]), "text": rng.choice(["Verse", "Lead ♪", "x" * 200])}
            if rng.random() < 0.6:
                ev["ch"] = ch
        elif r < 0.84:
            ev = {"type": "Tempo", "t": rng.choice([0, t]), "bpm": rng.choice([4, 90, 120.5, 1000, 133.33])}
        elif r < 0.88:
            ev = {"type": "TimeSig", "t": rng.choice([0, t]), "num": rng.randrange(1, 65),
                  "den": rng.choice([1, 2, 4, 8, 16, 32, 64])}
        elif r < 0.91:
            ev = {"type": "KeySig", "t": t, "key": rng.choice(["C", "F#", "Bb", "Eb", "A"] * 4 + ["H"]),
                  "mode": rng.choice(["major", "minor", "dorian", "lydian"])}
        elif r < 0.93:
            ev = {"type": "End", "t": 2**28 if rng.random() < 0.05 else t}
        elif r < 0.95:
            ev = {"type": "Chord", "t": t, "dur": 10, "root": "C", "quality": "", "name": "C"}
        else:
            ev = {"type": "Seed", "seed": 5}
        if "ch" in ev and rng.random() < 0.25:
            ev["track"] = rng.choice(["Lead", "Pad", ""])
        evs.append(ev)
    return evs


def outcome(evs: list[dict], kw: dict) -> bytes:
    """The file's bytes and warnings, or the error, as bytes to hash."""
    warnings: list[str] = []
    try:
        data = midi_bytes(evs, warn=warnings.append, **kw)
    except MidiError as e:
        return f"error {e} {e.event}".encode()
    return data + "\n".join(warnings).encode()


def test_bytes_equal_the_mido_based_writers_on_varied_streams():
    digest = hashlib.sha256()
    for seed in range(200):
        evs = varied_stream(seed)
        for kw in OPTIONS:
            digest.update(hashlib.sha256(outcome(evs, kw)).digest())
    assert digest.hexdigest() == PINNED


def test_type0_merges_many_parts_the_plain_way_with_the_same_bytes(monkeypatch):
    """Type 0 merges up to 128 tracks with packed keys (smf._merged_track); past that, one
    message at a time (_merged_bytes). Both give the same bytes, here on the varied streams
    and on one with 140 parts sharing channel 0."""
    import musicpipe.smf as smf

    many = [{"type": "Note", "t": 10 * i, "dur": 480, "ch": 0, "key": 40 + i % 50,
             "vel": 1 + i % 127, "track": f"P{i}"} for i in range(140)]
    streams = [varied_stream(seed) for seed in range(60)] + [many]
    fast = [outcome(evs, {"type": 0}) for evs in streams]
    monkeypatch.setattr(smf, "_PARTS", 0)
    assert [outcome(evs, {"type": 0}) for evs in streams] == fast
