"""mood: one command from preset to a stream, a .mid and a .wav."""

SECTION = "mood"


def run(bench):
    wav, mid = bench.WORK / "calm.wav", bench.WORK / "calm.mid"
    cases = [
        ("mood calm, 5 s, to WAV", f"mood calm --duration 5 --seed 7 --out {wav}", "< 1 s"),
        ("mood calm, 5 s, to MIDI", f"mood calm --duration 5 --seed 7 --out {mid}", ""),
        ("mood calm, 5 s, stream only", "mood calm --duration 5 --seed 7", ""),
        # nearly all fixed cost: start-up, then the SoundFont load (the to-WAV minus to-MIDI gap)
        ("mood calm, 0.5 s, to WAV", f"mood calm --duration 0.5 --seed 7 --out {wav}", ""),
        ("mood jazz, 60 s, to WAV", f"mood jazz --duration 60 --seed 7 --out {wav}", ""),
    ]
    bench.run_timed(cases[0][1])  # warm the SoundFont into the page cache
    return [bench.Row(label, f"{bench.median_time(cmd, repeat=7):.2f} s", target, cmd)
            for label, cmd, target in cases]
