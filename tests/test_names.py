"""`musicpipe instruments`, `drums`, `scales`: names for people, and JSON for programs."""

from __future__ import annotations

import orjson
import pytest

from tests.conftest import sh


@pytest.mark.parametrize("kind, first, count", [("instruments", "Acoustic Grand Piano", 128),
                                                ("drums", "Acoustic Bass Drum", 47),
                                                ("scales", "major", None)])
def test_text_for_people_and_json_for_programs(kind, first, count):
    text = sh(f"musicpipe {kind}").stdout.decode().splitlines()
    rows = orjson.loads(sh(f"musicpipe {kind} --json").stdout)
    assert len(text) == len(rows) and (count is None or len(rows) == count)
    assert first in text[0] and first in rows[0].values()
    assert all(isinstance(r["aliases"], list) for r in rows)


def test_every_alias_listed_is_accepted_by_the_stages():
    bass = next(r for r in orjson.loads(sh("musicpipe instruments --json").stdout) if r["program"] == 33)
    assert "electric-bass" in bass["aliases"]
    sh(f"seed 1 | motif --patch {bass['aliases'][0]}")
    hat = next(r for r in orjson.loads(sh("musicpipe drums --json").stdout) if r["key"] == 42)
    sh(f"euclid --pulses 3 --steps 8 --note {hat['aliases'][0]} --seed 1")
    assert "electric-bass" in sh("musicpipe instruments | grep 'Electric Bass (finger)'").stdout.decode()


@pytest.mark.parametrize("out, points_to", [("x.wav", b"to-wav --out x.wav"), ("a/b.FLAC", b"to-wav"),
                                            ("x.mp3", b"to-wav"), ("x.musicxml", b"to-musicxml")])
def test_to_midi_refuses_an_audio_or_score_name(out, points_to, tmp_path):
    proc = sh(f"seed 1 | motif | to-midi --out {out}", cwd=tmp_path, check=False)
    assert proc.returncode == 2 and points_to in proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and not list(tmp_path.rglob("*.*"))
