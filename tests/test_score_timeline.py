"""The timeline: whole bars on exact seconds, checked through meter.seconds_at (the same
tempo map arithmetic to-midi's readers use) and through a real .mid read by mido."""

from __future__ import annotations

import mido
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from musicpipe.events import PPQ
from musicpipe.meter import bar_count, bar_length, bar_line_at_or_after, seconds_at
from musicpipe.midi import midi_bytes
from musicpipe.scoring.timeline import (FitError, Segment, bar_intensities, fit_bars,
                                      fit_timeline)

MOOD_TEMPI = (72, 60, 96, 66, 124, 132, 150, 84, 140, 108, 80, 112)  # the 12 built-in moods


def ends_on_a_bar_line(fit, meter=(4, 4)) -> bool:
    body = fit.bars * bar_length(*meter)
    return fit.ticks == body if fit.short is None else fit.ticks - body == bar_length(*fit.short)


@pytest.mark.parametrize("tempo", MOOD_TEMPI)
@pytest.mark.parametrize("seconds", [8, 20, 30])
def test_mood_whole_bars_last_exactly_and_stay_within_4_percent(seconds, tempo):
    fit = fit_bars(seconds, tempo)
    assert seconds_at([(0, fit.tempo)])(fit.ticks) == pytest.approx(seconds, abs=1e-9)
    assert ends_on_a_bar_line(fit)
    assert abs(fit.percent) <= 4.0 + 1e-9


def test_whole_bars_come_first_and_a_short_bar_only_when_they_cannot():
    assert (fit_bars(20, 124).bars, fit_bars(20, 124).short) == (10, None)  # -3.2 %
    f = fit_bars(8, 72)  # 2.4 bars: 2 bars is -17 %, 3 is +25 %
    assert (f.bars, f.short, f.tempo) == (2, (3, 8), 71.25)
    assert fit_bars(30, 84).short == (2, 4)  # 10.5 bars: 10 or 11 are 4.8 % off


def test_bars_asked_for_are_given_at_the_tempo_they_need():
    f = fit_bars(10, 100, bars=4)
    assert (f.bars, f.ticks, f.tempo) == (4, 4 * 4 * PPQ, 96.0)
    assert fit_bars(10, 100, (3, 4), bars=4).tempo == 72.0
    with pytest.raises(FitError, match="tempo 20..400"):
        fit_bars(10, 100, bars=100)


def test_six_eight_short_bars_are_eighths():
    f = fit_bars(8, 66, (6, 8))  # 66 quarter notes/min: 8.8 quarters, 2.93 bars of 6/8
    assert f.short is None and f.bars == 3


def issue_plan():
    # calm 72 BPM from 0, suspense 96 from 20, heroic 112 from 40; 60 s
    return fit_timeline([Segment(0, 72), Segment(20, 96), Segment(40, 112)], 60)


def test_the_issues_plan_meets_on_bar_lines_at_20_and_40_and_ends_at_60():
    tl = issue_plan()
    at = seconds_at(list(tl.tempos))
    assert [at(r.tick) for r in tl.regions] == pytest.approx([0, 20, 40], abs=1e-3)
    assert at(tl.end_tick) == pytest.approx(60, abs=1e-3)
    bar_ticks = {t for t, _ in tl.bars()}
    assert {r.tick for r in tl.regions} | {tl.end_tick} <= bar_ticks
    assert all(abs(r.percent) <= 6 for r in tl.regions)
    # ramps: into suspense and into heroic, none after the last region
    assert [r.ramp_tick is not None for r in tl.regions] == [True, True, False]
    rising = [bpm for t, bpm in tl.tempos if tl.regions[0].ramp_tick <= t <= tl.regions[1].tick]
    assert rising == sorted(rising) and rising[-1] == tl.regions[1].tempo


def test_the_tempo_map_through_a_real_midi_file():
    tl = issue_plan()
    stream = ([{"type": "Tempo", "t": t, "bpm": bpm} for t, bpm in tl.tempos]
              + [{"type": "Note", "t": r.tick, "dur": 240, "ch": 0, "key": 60, "vel": 80}
                 for r in tl.regions] + [{"type": "End", "t": tl.end_tick}])
    mid = mido.MidiFile(file=__import__("io").BytesIO(midi_bytes(stream)))
    starts, now = [], 0.0
    for msg in mid:
        now += msg.time
        if msg.type == "note_on" and msg.velocity:
            starts.append(now)
    # MIDI stores tempo in whole microseconds per quarter: still well inside 1 ms
    assert starts == pytest.approx([0, 20, 40], abs=1e-3)
    assert mid.length == pytest.approx(60, abs=1e-3)


def test_the_last_region_slows_into_its_final_chord_and_still_ends_on_its_second():
    """A last region whose mood slows at its end (heroic) gets the mood's ritardando: tempo
    steps falling over the bars before its final chord to 0.84 of its body tempo, the body
    tempo solved around them so the piece still ends on its second (through a real .mid).
    A mood that keeps time (upbeat) does not slow."""
    from musicpipe.moods.packs import Library
    from musicpipe.scoring.check import _slowing

    library = Library([])
    segments = [Segment(0, 72), Segment(20, 96),
                Segment(40, 112, (4, 4), _slowing(library.resolve("heroic"), (4, 4)))]
    tl = fit_timeline(segments, 60)
    at = seconds_at(list(tl.tempos))
    assert [at(r.tick) for r in tl.regions] == pytest.approx([0, 20, 40], abs=1e-3)
    assert at(tl.end_tick) == pytest.approx(60, abs=1e-6)
    last = tl.regions[-1]
    assert last.slow_tick is not None and last.ramp_tick is None and abs(last.percent) <= 6
    slowing = [bpm for t, bpm in tl.tempos if t >= last.slow_tick]
    assert len(slowing) >= 4 and slowing == sorted(slowing, reverse=True)
    assert slowing[-1] / last.tempo == pytest.approx(0.84, abs=0.01)
    stream = [{"type": "Tempo", "t": t, "bpm": bpm} for t, bpm in tl.tempos] + [
        {"type": "Note", "t": 0, "dur": 240, "ch": 0, "key": 60, "vel": 80},
        {"type": "End", "t": tl.end_tick}]
    assert mido.MidiFile(file=__import__("io").BytesIO(midi_bytes(stream))).length == (
        pytest.approx(60, abs=1e-3))
    assert _slowing(library.resolve("upbeat"), (4, 4)) is None


def test_hits_map_to_ticks_within_a_millisecond():
    tl = issue_plan()
    at = seconds_at(list(tl.tempos))
    for second in (12.0, 39.5, 0.0, 59.999):
        assert at(tl.tick_at(second)) == pytest.approx(second, abs=1e-3)
    bar, beat = tl.position(tl.regions[1].tick)
    assert beat == 1 and bar == tl.regions[0].fit.bars + 1


def test_meter_changes_and_short_bars_get_time_signatures():
    tl = fit_timeline([Segment(0, 100, (3, 4)), Segment(10, 100, (4, 4))], 21)
    assert tl.time_sigs[0] == (0, 3, 4)
    assert (tl.regions[1].tick, 4, 4) in tl.time_sigs
    at = seconds_at(list(tl.tempos))
    assert at(tl.regions[1].tick) == pytest.approx(10, abs=1e-3)
    assert at(tl.end_tick) == pytest.approx(21, abs=1e-3)


def test_close_tempi_step_instead_of_ramping():
    tl = fit_timeline([Segment(0, 100), Segment(9.6, 100)], 19.2)
    assert [r.ramp_tick for r in tl.regions] == [None, None]
    assert tl.tempos == ((0, 100.0), (tl.regions[1].tick, 100.0))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(4, 60), st.sampled_from(MOOD_TEMPI),
                          st.sampled_from([(4, 4), (3, 4), (6, 8)])), min_size=1, max_size=6))
def test_any_plan_lands_every_boundary_within_a_millisecond(parts):
    segments, at = [], 0.0
    for length, tempo, meter in parts:
        segments.append(Segment(at, tempo, meter))
        at += length
    tl = fit_timeline(segments, at)
    when = seconds_at(list(tl.tempos))
    for seg, region in zip(segments, tl.regions):
        assert when(region.tick) == pytest.approx(seg.at, abs=1e-3)
    assert when(tl.end_tick) == pytest.approx(at, abs=1e-3)
    assert all(bpm > 0 for _, bpm in tl.tempos)
    lines = {t for t, _ in tl.bars()}  # bar lines by the TimeSigs, short bars included
    assert {r.tick for r in tl.regions} | {tl.end_tick} <= lines
    assert [tl.position(r.tick)[1] for r in tl.regions] == [1] * len(tl.regions)
    # musicpipe.meter (analyze's and trim's bar lines) counts the same bars
    assert bar_count(tl.end_tick, tl.time_sigs) == len(lines) - 1
    assert all(bar_line_at_or_after(r.tick, tl.time_sigs) == r.tick for r in tl.regions)


def test_bar_intensities_follow_the_keyframes():
    bars = [(20 + 2.5 * i, 22.5 + 2.5 * i) for i in range(8)]
    levels = bar_intensities(bars, [(20, 20), (40, 90)])
    assert levels == sorted(levels) and levels[0] > 20 and levels[-1] < 90
    assert levels[0] == round(20 + 70 * 1.25 / 20)
    assert bar_intensities(bars, 55) == [55] * 8
    assert bar_intensities(bars, [(30, 10)]) == [10] * 8  # one keyframe: flat
    steps = bar_intensities(bars, [(20, 0), (30, 0), (30, 100), (40, 100)])
    assert steps == [0] * 4 + [100] * 4


def test_a_fit_gives_its_time_signatures():
    f = fit_bars(8, 72)
    assert f.time_sigs() == [(0, 4, 4), (2 * 4 * PPQ, 3, 8)]
    assert fit_bars(20, 124).time_sigs(960) == [(960, 4, 4)]


def test_a_loop_ramps_back_into_the_first_tempo():
    segments = [Segment(0, 72), Segment(20, 96), Segment(40, 112)]
    tl = fit_timeline(segments, 60, loop=True)
    last = tl.regions[-1]
    assert last.ramp_tick is not None
    into_seam = [bpm for t, bpm in tl.tempos if t >= last.ramp_tick]
    assert into_seam == sorted(into_seam, reverse=True)  # 108 down toward 70
    # the step at the seam (the last ramp step to the first tempo) is no bigger than a
    # ramp step, and the first region's tempo is the one the ramp aimed at
    steps = [abs(b - a) for a, b in zip(into_seam, into_seam[1:])]
    assert abs(into_seam[-1] - tl.regions[0].tempo) <= max(steps) * 1.01
    at = seconds_at(list(tl.tempos))
    assert [at(r.tick) for r in tl.regions] + [at(tl.end_tick)] == pytest.approx([0, 20, 40, 60], abs=1e-3)
    assert fit_timeline(segments[:1], 20, loop=True).tempos == ((0, 72.0),)


def test_hits_are_caught_on_the_nearest_beat_when_the_tempo_need_bend_little():
    segments = [Segment(0, 72), Segment(20, 96), Segment(40, 112)]
    plain = fit_timeline(segments, 60)
    tl = fit_timeline(segments, 60, hits=[12.0, 39.5, 12.1])
    at = seconds_at(list(tl.tempos))
    # 12.0 s: on beat 3 of bar 4 exactly; the rest of the region bends to keep 20 s in place
    tick = tl.tick_at(12.0)
    assert tick % PPQ == 0 and tl.position(tick) == (4, 3.0)
    assert at(tick) == pytest.approx(12.0, abs=1e-9)
    assert [at(r.tick) for r in tl.regions] + [at(tl.end_tick)] == pytest.approx([0, 20, 40, 60], abs=1e-9)
    # 12.1 s is nearest the same beat: not caught twice, left at its tick
    assert tl.tick_at(12.1) % PPQ != 0
    assert tl.caught == (12.0,)
    # 39.5 s, half a second before a bar line: catching it would bend a beat by 14 %
    assert tl.tick_at(39.5) == plain.tick_at(39.5) and tl.position(tl.tick_at(39.5))[1] != 4
    bodies = [bpm for t, bpm in tl.tempos if t < tl.regions[0].ramp_tick]
    assert all(abs(b / plain.regions[0].tempo - 1) <= 0.05 for b in bodies)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(5, 40), min_size=2, max_size=4), st.lists(st.floats(0, 1), max_size=6),
       st.sampled_from(MOOD_TEMPI))
def test_caught_hits_and_boundaries_stay_exact(lengths, where, tempo):
    starts = [sum(lengths[:i]) for i in range(len(lengths))]
    duration = sum(lengths)
    segments = [Segment(s, tempo + 10 * i) for i, s in enumerate(starts)]
    hits = sorted(w * duration for w in where)
    tl = fit_timeline(segments, duration, hits=hits)
    at = seconds_at(list(tl.tempos))
    assert [at(r.tick) for r in tl.regions] == pytest.approx(starts, abs=1e-6)
    assert at(tl.end_tick) == pytest.approx(duration, abs=1e-6)
    for h in hits:
        assert at(tl.tick_at(h)) == pytest.approx(h, abs=1.5e-3)  # a caught hit: exactly
    assert all(20 <= bpm <= 400 for _, bpm in tl.tempos)
