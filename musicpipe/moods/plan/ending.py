"""The ending: a ritardando into the final chord where the style allows, and a final chord
that is let go before the piece ends, so its release has died away before the last fade.

The tempo map is built from the tempos MIDI stores (whole microseconds per quarter note),
so the piece still lasts exactly as long as asked: the final chord takes what is left.
"""

from __future__ import annotations

from ...events import PPQ
from ...harmony import Chord, family
from ...theory import SCALES
from .style import RITARDANDO

DEPTH = 0.16        # the final chord's tempo, this much slower than the piece's
HOLD = 1.5          # beats the final chord must keep (at its own tempo) for a ritardando
RELEASE = 1.2       # seconds the final chord is let go before the end
WHOLE_BODY = 4      # whole bars: the fewest bars before the final chord that slow into it


def _us(bpm: float) -> int:
    return round(60_000_000 / bpm)


def ritardando(style: str, *, tempo: float, seconds: float, final_start: int, beat: int,
               bar: int) -> tuple[list[tuple[int, float]], int] | None:
    """The slowing Tempo changes [(tick, bpm)] over the bars before ``final_start`` (two
    bars, else one, else half of one: what leaves the final chord HOLD beats), and the End
    tick that lands on ``seconds``; None where the style keeps time or there is no room."""
    if style not in RITARDANDO or final_start < 2 * bar:
        return None
    us = _us(tempo)
    final_us = round(us / (1 - DEPTH))
    for beats in (2 * bar // beat, bar // beat, max(1, bar // beat // 2)):
        start = final_start - beats * beat
        steps = [round(us / (1 - DEPTH * (i + 1) / (beats + 1))) for i in range(beats)]
        elapsed = (start * us + sum(beat * s for s in steps)) / 1e6 / PPQ
        left = seconds - elapsed
        ticks = round(left * 1e6 / final_us * PPQ)
        if ticks >= HOLD * beat:  # the last tempo fitted to whole ticks: exact to a microsecond
            last = round(left * 1e6 * PPQ / ticks)
            tempos = [(start + i * beat, 60_000_000 / s) for i, s in enumerate(steps)]
            return tempos + [(final_start, 60_000_000 / last)], final_start + ticks
    return None


def release(ticks_left: int, beat: int, bpm: float) -> int:
    """How long the final chord's notes last: let go RELEASE seconds before the end, but
    held at least a beat."""
    early = round(RELEASE * bpm / 60 * PPQ)
    return max(min(beat, ticks_left), ticks_left - early)


def body_bars(style: str, ticks: int, bar: int, beat: int) -> int:
    """The bars before the final chord, which starts on the last bar line at least a beat
    before the end (a bar earlier where a ritardando needs the room)."""
    bars = max(0, (ticks - beat) // bar)
    if style in RITARDANDO and ticks - bars * bar < 2 * beat and bars >= 4:
        bars -= 1
    return bars


def _slows(style: str, final_start: int, end: int, beat: int, bar: int) -> bool:
    return (style in RITARDANDO and final_start >= WHOLE_BODY * bar
            and end - final_start >= HOLD * beat)


def _fractions(beats: int) -> list[float]:
    """Each slowing beat's tempo as a fraction of the body's."""
    return [1 - DEPTH * (i + 1) / (beats + 1) for i in range(beats)]


def extra(style: str, ticks: int, bar: int, beat: int) -> float:
    """What the ritardando of a piece ``ticks`` long costs, in ticks at its body tempo (0
    where it has none): whole bars are fitted to the seconds left after it, so the body
    tempo, solved around it, stays near the mood's."""
    final_start = body_bars(style, ticks, bar, beat) * bar
    if not _slows(style, final_start, ticks, beat, bar):
        return 0.0
    return (sum(beat / f - beat for f in _fractions(2 * bar // beat))
            + (ticks - final_start) * DEPTH / (1 - DEPTH))


def ritardando_to(style: str, *, end: int, tempo: float, seconds: float | None,
                  final_start: int, beat: int, bar: int) -> tuple[float, list[tuple[int, float]]] | None:
    """Whole bars: the slowing over the two bars before ``final_start`` with the End kept on
    its bar line at ``end``. Returns the body tempo and the Tempo changes [(tick, bpm)]: the
    body tempo solved so the piece lasts ``seconds`` (``tempo`` kept when seconds is None),
    the final chord's tempo taking the microseconds left; None where the style keeps time
    or there is no room (a short piece, where two slowing bars would be most of it)."""
    if not _slows(style, final_start, end, beat, bar):
        return None
    beats = 2 * bar // beat
    start = final_start - beats * beat
    fractions = _fractions(beats)
    weight = start + sum(beat / f for f in fractions) + (end - final_start) / (1 - DEPTH)
    asked = seconds is None
    if asked:
        seconds = weight * 60 / (tempo * PPQ)
    us = _us(weight * 60 / (seconds * PPQ))
    steps = [round(us / f) for f in fractions]
    left = seconds - (start * us + sum(beat * s for s in steps)) / 1e6 / PPQ
    last = round(left * 1e6 * PPQ / (end - final_start))
    tempos = [(start + i * beat, 60_000_000 / s) for i, s in enumerate(steps)]
    return tempo if asked else 60_000_000 / us, tempos + [(final_start, 60_000_000 / last)]


def into_the_start(form) -> None:
    """A loop's last bar leads back into its first: its chord becomes the dominant of the
    opening chord (a chord a fifth above it, or the leading-tone chord under it, stays), and
    the final chord is the opening one, what the loop goes on to."""
    if not form.sections or not form.sections[0].chords:
        return
    opening = form.sections[0].chords[0]
    last = form.sections[-1]
    chord = last.chords[-1]
    leads = (chord.root - opening.root) % 12 == 7 or (
        (opening.root - chord.root) % 12 == 1 and chord.intervals[:3] == (0, 3, 6))
    if not leads:
        last.chords[-1] = Chord((opening.root + 7) % 12, (0, 4, 7))
    form.final = opening


def into_key(form, home: tuple[int, str], onward: tuple[int, str]) -> None:
    """A score region's last bars turn toward the next region's key ``onward`` (root,
    mode; ``home`` is this region's): the last chord becomes its dominant seventh, and
    where the key changes the chord before it is a pivot, a chord of the new key's
    subdominant side that belongs to the old key too where one does (ii, IV, vi; iv, VI,
    ii in minor), else the new key's own ii (iv)."""
    if not form.sections or not form.sections[-1].chords:
        return
    last = form.sections[-1]
    root, mode = onward
    last.chords[-1] = Chord((root + 7) % 12, (0, 4, 7, 10))
    if (root - home[0]) % 12 == 0 and family(mode) == family(home[1]) or len(last.chords) < 2:
        return
    minor = family(mode) == "minor"
    old = {(home[0] + i) % 12 for i in SCALES[family(home[1])]}
    shapes = ([(5, (0, 3, 7)), (8, (0, 4, 7)), (2, (0, 3, 6))] if minor
              else [(2, (0, 3, 7)), (5, (0, 4, 7)), (9, (0, 3, 7))])
    pivots = [Chord((root + step) % 12, ivs) for step, ivs in shapes]
    last.chords[-2] = next((c for c in pivots if set(c.pcs) <= old), pivots[0])
