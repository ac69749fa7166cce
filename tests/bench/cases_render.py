"""to-wav against the fluidsynth command line on the same stream and SoundFont, with and
without stems; `mood calm --out x.wav` at three lengths beside the fluidsynth command on the
same .mid, writing the same format (CPU and peak memory, paired ratios: the cost's growth), and
the FLAC encoder's share at the first; then every mood's loudness, peak-normalised (the old
default) and at -16 LUFS."""

SECTION = "render"

SECONDS = 60
MOOD = "synthwave"
LENGTHS = (60, 150, 300)   # seconds of `mood calm`: the growth of CPU and memory
PAIRS = 3                  # mood / fluidsynth runs taken in turn at each length


def run(bench):
    return timing(bench) + lengths(bench) + loudness_table(bench)


def lengths(bench):
    """mood calm to WAV (-16 LUFS, limiter, two passes) at LENGTHS, and the fluidsynth
    command writing WAV from the same .mid and font; ratios are medians of run-by-run pairs.
    At the first length, the same render to FLAC: what the encoder adds."""
    import statistics

    from musicpipe.audio.soundfonts import find_soundfont

    font, rows, per_second = find_soundfont(), [], {}
    for seconds in LENGTHS:
        mid, out = bench.WORK / f"calm{seconds}.mid", bench.WORK / f"calm{seconds}.wav"
        bench.run_timed(["bash", "-c", f"mood calm --duration {seconds} --seed 5 --out {mid}"])
        ours = f"mood calm --duration {seconds} --seed 5 --out {out}"
        theirs = f"fluidsynth -ni -q -F {bench.WORK}/theirs.wav -r 44100 -g 1.0 {font} {mid}"
        runs = [(bench.run_measured(ours, stdin_file="/dev/null"),
                 bench.run_measured(theirs, stdin_file="/dev/null")) for _ in range(PAIRS)]
        cpu = statistics.median(a[0] for a, _ in runs)
        peak = max(a[2] for a, _ in runs)
        their_cpu = statistics.median(b[0] for _, b in runs)
        ratio = statistics.median(a[0] / b[0] for a, b in runs)
        per_second[seconds] = cpu / seconds
        rows += [bench.Row(f"mood calm {seconds} s -> .wav: CPU, peak memory",
                           f"{cpu:.2f} s ({1000 * cpu / seconds:.1f} ms per audio s), {peak} MB",
                           "<= 250 MB", ours),
                 bench.Row(f"fluidsynth, same .mid and font ({seconds} s)",
                           f"{their_cpu:.2f} s, {max(b[2] for _, b in runs)} MB", "", theirs),
                 bench.Row(f"mood / fluidsynth CPU at {seconds} s (paired)", f"{ratio:.2f}",
                           "<= 1.0" if seconds == LENGTHS[0] else "")]
        if seconds == LENGTHS[0]:
            flac = ours.replace(".wav", ".flac")
            encoded = [(bench.run_measured(flac, stdin_file="/dev/null"),
                        bench.run_measured(ours, stdin_file="/dev/null")) for _ in range(PAIRS)]
            rows.append(bench.Row(f"the same to .flac / to .wav, CPU (paired, {seconds} s)",
                                  f"{statistics.median(a[0] / b[0] for a, b in encoded):.2f}",
                                  "", flac))
    first, last = LENGTHS[0], LENGTHS[-1]
    rows.append(bench.Row(f"CPU per audio second, {last} s / {first} s",
                          f"{per_second[last] / per_second[first]:.2f}", "<= 1.2"))
    return rows


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
    import soundfile

    from musicpipe.audio import export, loudness
    from musicpipe.moods.arrange import arrange
    from musicpipe.moods.packs import Library
    from musicpipe.theory import parse_key

    library, rows = Library([]), []
    path = str(bench.WORK / "level.wav")
    for name in library.names():
        mood = library.resolve(name)
        peak_lufs, lufs, tps, mono = [], [], [], []
        for seed in seeds:
            events = arrange(mood, seconds=seconds, key=parse_key(mood.get("key", "C")), seed=seed)
            export.export(events, path, length=seconds, peak=-1.0)
            mix, rate = soundfile.read(path)
            peak_lufs.append(loudness.integrated(mix, rate))
            export.export(events, path, length=seconds, loudness=-16.0)
            out, rate = soundfile.read(path)
            lufs.append(loudness.integrated(out, rate))
            tps.append(loudness.true_peak(out))
            mono.append(loudness.mono_loss(out, rate))
        rows.append(bench.Row(f"{name}: LUFS at -1 dBFS peak -> at -16 LUFS (max TP, max mono loss)",
                        f"{min(peak_lufs):.1f}..{max(peak_lufs):.1f} -> {min(lufs):.2f}.."
                        f"{max(lufs):.2f} ({max(tps):.2f} dBTP, {max(mono):.1f} LU)",
                        "-16 +-0.5, <= -1 dBTP, <= 3 LU"))
    return rows
