"""What `mood` and `score` share: the options that write a whole piece to a file (a .mid,
audio, stems) and the writing itself, so both accept the same formats, limits and checks."""

from __future__ import annotations

import click

from .. import cli
from ..errors import OutputError


def file_options(fn):
    """--out, --stems, --force, --loudness, --rate, --bits, in that order (--pack and
    --soundfont follow in each command)."""
    for option in reversed([
        click.option("--out", "-o", metavar="FILE",
                     help="Write a MIDI file (.mid) or render audio (.wav, .flac, .ogg, .mp3) "
                          "instead of the stream."),
        click.option("--stems", metavar="DIR", help="Render one audio file per layer and the "
                     "mix into DIR (a folder with files in it needs --force)."),
        click.option("--force", is_flag=True, help="With --stems: overwrite files in DIR; with "
                     "--out or --stems: write even a piece without notes."),
        click.option("--loudness", type=cli.FloatRange(-70, -1), default=-16.0, show_default=True,
                     metavar="LUFS", help="Integrated loudness of the audio (true peak <= -1 dBTP)."),
        click.option("--rate", type=click.IntRange(8000, 96000), default=44100, show_default=True,
                     help="Sample rate of the audio in Hz (8000..96000: what FluidSynth renders)."),
        click.option("--bits", type=click.Choice(["16", "24", "32"]), default=None,
                     help="WAV/FLAC sample format: 16 (default), 24, 32 (float, WAV only)."),
    ]):
        fn = option(fn)
    return fn


def check_audio(out: str | None, stems: str | None, rate: int, bits: str | None) -> str | None:
    """The audio file asked for (None for a .mid or no --out), its format and rate checked
    before any music is made (exit 2 naming --out)."""
    from ..audio import export

    midi_out = bool(out) and out.lower().endswith((".mid", ".midi"))
    audio_out = out if out and not midi_out else None
    if audio_out or stems:
        try:
            ext, _ = export.format_of(audio_out or "x.wav", int(bits) if bits else None)
            export.check_rate(ext, rate)
        except export.FormatError as e:
            raise click.BadParameter(f"{e} (or .mid)", param_hint="--out") from None
        export.check_available(ext)
    return audio_out


def write(io: cli.StageIO, events: list[dict], *, name: str, out: str | None, stems: str | None,
          force: bool, loudness: float, rate: int, bits: str | None, soundfont: str | None,
          length: float | None, loop: bool, title: str | None = None) -> None:
    """The piece to ``out`` (.mid, or audio) and ``stems``: refused as a sink refuses an empty
    piece; audio ``length`` seconds (None: where its tempo map puts the End)."""
    cli.refuse_file(out or stems, abort=None, events=len(events), force=force,
                    notes=sum(1 for e in events if e["type"] == "Note"))
    audio_out = check_audio(out, stems, rate, bits)
    if out and not audio_out:
        from ..midi import write_midi

        try:
            write_midi(events, out, **({"title": title} if title else {}))
        except OSError as e:
            raise OutputError(f"cannot write {out}: {e.strerror or e}") from None
    if length is None:
        from ..meter import seconds_at

        length = seconds_at([(e["t"], e["bpm"]) for e in events if e["type"] == "Tempo"])(
            events[-1]["t"])
    if audio_out or stems:
        from ..audio import export
        from ..audio.progress import bar

        export.export(events, audio_out, stems=stems, force=force, rate=rate,
                      bits=int(bits) if bits else None, loudness=loudness, soundfont=soundfont,
                      length=length, loop=loop, warn=io.warn, progress=bar(name))
