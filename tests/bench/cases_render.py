"""to-wav against the fluidsynth command line on the same stream and SoundFont, with and
without stems; then every mood's loudness, peak-normalised (the old default) and at -16 LUFS."""

SECTION = "render"

SECONDS = 60
MOOD = "synthwave"


def run(bench):
    return timing(bench) + loudness_table(bench)


def timing(bench):
    import shutil
    import wave

    from musicpipe.audio.soundfonts import find_soundfont
    from musicpipe.tracks import split
    from tests.conftest import events

    font = find_soundfont()
    stream, mid = bench.WORK / "mood.jsonl", bench.WORK / "mood.mid"
    ours, theirs, stems = bench.WORK / "ours.wav", bench.WORK / "theirs.wav", bench.WORK / "stems"
    # a minute of a five-layer mood at 100 BPM, the same stream for every renderer
    bench.run_timed(["bash", "-c", f"mood {MOOD} --duration {SECONDS} --seed 5 > {stream}"])
    bench.run_timed(["bash", "-c", f"to-midi --out {mid} < {stream}"])
    tracks = len(split(events(stream.read_bytes())))
    plain = f"to-wav --out {ours} < {stream}"
    with_stems = f"to-wav --out {ours} --stems {stems} --force < {stream}"
    cli = f"fluidsynth -ni -q -F {theirs} -r 44100 -g 1.0 {font} {mid}"
    t_plain = bench.median_time(plain, repeat=5)
    with wave.open(str(ours)) as w:
        audio = w.getnframes() / w.getframerate()
    t_stems = bench.median_time(with_stems, repeat=3)
    rows = [
        bench.Row(f"to-wav, {SECONDS} s {MOOD} mood ({tracks} tracks)",
                  f"{t_plain:.2f} s ({audio / t_plain:.0f}x real time)", "", plain),
        bench.Row(f"to-wav --stems ({tracks} stems + mix)", f"{t_stems:.2f} s "
                  f"({t_stems / t_plain:.2f}x the plain render)", f"<= {tracks}x", with_stems),
    ]
    if shutil.which("fluidsynth"):
        t_cli = bench.median_time(cli, repeat=5)
        rows += [bench.Row("fluidsynth -ni -F, same stream (as .mid) and font", f"{t_cli:.2f} s",
                           "", cli),
                 bench.Row("to-wav / fluidsynth", f"{t_plain / t_cli:.2f}", "<= 1.0"),
                 bench.Row("to-wav --stems / fluidsynth", f"{t_stems / t_cli:.2f}",
                           f"<= {tracks}")]
    else:
        rows.append(bench.Row("fluidsynth command line", "not installed", "",
                              "apt-get install fluidsynth"))
    return rows


def loudness_table(bench, seconds=20, seeds=(1, 2, 3)):
    """Per mood over three seeds: integrated loudness when the sample peak is set to -1 dBFS
    (what mood did before) and at --loudness -16 (what it does now), true peak, mono loss."""
    import math

    import numpy as np

    from musicpipe.audio import export, loudness, render
    from musicpipe.moods.arrange import arrange
    from musicpipe.moods.packs import Library
    from musicpipe.theory import parse_key


    library, rows = Library([]), []
    for name in library.names():
        mood = library.resolve(name)
        peak_lufs, lufs, tps, mono = [], [], [], []
        for seed in seeds:
            events = arrange(mood, seconds=seconds, key=parse_key(mood.get("key", "C")), seed=seed)
            mix = render.render(events, length=seconds)
            raw = loudness.integrated(mix, render.RATE)
            peak_lufs.append(raw - 20 * math.log10(float(np.abs(mix).max())) - 1)
            level, _ = export.master(mix, render.RATE, loudness=-16.0)
            out = loudness.apply(mix, level)
            lufs.append(loudness.integrated(out, render.RATE))
            tps.append(loudness.true_peak(out))
            mono.append(loudness.mono_loss(out, render.RATE))
        rows.append(bench.Row(f"{name}: LUFS at -1 dBFS peak -> at -16 LUFS (max TP, max mono loss)",
                        f"{min(peak_lufs):.1f}..{max(peak_lufs):.1f} -> {min(lufs):.2f}.."
                        f"{max(lufs):.2f} ({max(tps):.2f} dBTP, {max(mono):.1f} LU)",
                        "-16 +-0.5, <= -1 dBTP, <= 3 LU"))
    return rows
