"""music: every built-in mood at 3 seeds, 20 s, measured with analyze (not a speed figure).

Columns: how many of the 3 pieces pass each ending check (bar line, tonic chord, held tonic
melody note, drums one hit, no blips), the share of melody notes under the accompaniment and
at its unison, melody steps and leaps over 7 semitones, loop similarity, pitch classes,
pitched notes per second and polyphony (means over the seeds).
"""

import sys

SECTION = "music"
HUMAN = "human: tonic ending ~85 %; buried 95th pct 0.62; steps median 0.66; loop 95th pct 0.89; " \
        "notes/s 95th pct 14; polyphony 95th pct 4.7; pitch classes 5th pct 8"


def run(bench):
    sys.path.insert(0, str(bench.ROOT))
    from musicpipe.moods.packs import Library
    from tests.moodcheck import ENDING, SEEDS, summary

    rows = []
    for name in Library().names():
        if Library().source_of(name) != "built-in":
            continue
        s = summary(name)
        ends = "".join(str(s["endings"][c]) for c in ENDING)
        rows.append(bench.Row(name, f"end {ends}/{len(SEEDS)}  buried {s['buried']:.2f} "
                              f"unison {s['unison']:.2f}  steps {s['steps']:.2f} leaps {s['leaps']:.2f}  "
                              f"loop {s['loop']:.2f}  pcs {s['pitch_classes']:.1f}  "
                              f"notes/s {s['notes_per_second']:.1f}  poly {s['polyphony']:.1f}"))
    rows.append(bench.Row("human ranges", HUMAN))
    return rows
