"""to-wav against the fluidsynth command line on the same MIDI file and SoundFont."""

SECTION = "render"

SECONDS = 60


def run(bench):
    import shutil
    import wave

    from musicpipe.render import find_soundfont

    font = find_soundfont()
    mid, ours, theirs = (bench.WORK / n for n in ("render.mid", "ours.wav", "theirs.wav"))
    # a minute of a four-part arrangement at 120 BPM: 30 bars
    bench.run_timed(["bash", "-c",
        f"{{ seed 5 | motif --bars 30 --patch strings; seq 'D2/2 A1/2' --ch 1 --patch bass --repeat 30 --seed 5; "
        f"euclid -k 4 -n 16 --note kick --repeat 30 --seed 5; euclid -k 7 -n 16 --note closed-hat --repeat 30 --seed 5; }}"
        f" | to-midi --out {mid}"])
    ours_cmd = f"to-wav --midi {mid} --out {ours}"
    theirs_cmd = f"fluidsynth -ni -q -F {theirs} -r 44100 -g 1.0 {font} {mid}"
    rows = []
    t_ours = bench.median_time(ours_cmd, repeat=5)
    with wave.open(str(ours)) as w:
        audio = w.getnframes() / w.getframerate()
    rows.append(bench.Row("to-wav, 60 s arrangement", f"{t_ours:.2f} s ({audio / t_ours:.0f}x real time)",
                          "", ours_cmd))
    if shutil.which("fluidsynth"):
        t_theirs = bench.median_time(theirs_cmd, repeat=5)
        rows.append(bench.Row("fluidsynth -ni -F, same file and font", f"{t_theirs:.2f} s", "", theirs_cmd))
        rows.append(bench.Row("ours / fluidsynth", f"{t_ours / t_theirs:.2f}", "<= 1.0"))
    else:
        rows.append(bench.Row("fluidsynth command line", "not installed", "", "apt-get install fluidsynth"))
    return rows
