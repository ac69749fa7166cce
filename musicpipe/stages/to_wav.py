"""to-wav: render the stream (or a MIDI file) to a WAV file with FluidSynth."""

from __future__ import annotations

import sys

import click

from .. import cli
from ..errors import OutputError
from ..stream import DataError

TO_WAV_HELP = (
    "Output: 16-bit stereo PCM, 44.1 kHz unless --rate. Length: the piece (its End, else "
    "its last note's end) plus the release tail, cut when the sound stays under -80 dBFS "
    "for 50 ms (at most --tail-cap seconds) and faded to true zero; or exactly --length "
    "seconds with a 50 ms fade. Drums on channel 9 play from the SoundFont's drum bank; "
    "every channel starts on program 0 until a ProgramChange. Reverb and chorus are fixed "
    "(docs/render.md), so renders never depend on FluidSynth's defaults: the same stream "
    "gives the same bytes. SoundFont order: --soundfont, $MUSICPIPE_SOUNDFONT (a file or a "
    "folder), ./soundfonts/ and the project's soundfonts/, "
    "~/.local/share/musicpipe/soundfonts/, then the system GM fonts (see --list-soundfonts)."
)


def _progress(stream):
    """A one-line progress bar on a terminal's stderr; nothing elsewhere."""
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return None

    def show(frac: float) -> None:
        filled = int(frac * 30)
        stream.write(f"\rto-wav: [{'#' * filled}{'.' * (30 - filled)}] {frac:4.0%}")
        if frac >= 1:
            stream.write("\n")
        stream.flush()

    return show


@cli.stage("to-wav", stream_out=False, epilog=TO_WAV_HELP, examples=[
    "seed 7 | motif --notes 16 --bpm 100 --patch piano | to-wav --out phrase.wav",
    "euclid --pulses 5 --steps 8 --note snare --repeat 4 | to-wav --out beat.wav --length 3",
    "to-midi --out riff.mid < examples/riff.jsonl && to-wav --midi riff.mid --out riff.wav --normalize --peak -3",
    "to-wav --list-soundfonts",
])
@click.option("--out", "-o", metavar="FILE.wav", help="The WAV file (atomic); - for stdout.")
@click.option("--midi", "midi_path", type=click.Path(exists=True, dir_okay=False),
              help="Render this MIDI file instead of the stream on stdin.")
@click.option("--mid", "mid_path", metavar="FILE.mid",
              help="Also write the rendered stream as a MIDI file.")
@click.option("--rate", type=click.IntRange(8000, 96000), default=44100, show_default=True,
              help="Sample rate in Hz (what FluidSynth renders: 8000..96000).")
@click.option("--gain", type=cli.FloatRange(0.0, 10.0), default=1.0, show_default=True,
              help="FluidSynth master gain (clipping is reported; see --normalize).")
@click.option("--length", type=cli.FloatRange(0.01, 86400), default=None,
              help="Exactly this many seconds (cut or padded, 50 ms fade).")
@click.option("--tail-cap", type=cli.FloatRange(0, 60), default=5.0, show_default=True,
              help="Longest release tail after the piece, in seconds.")
@click.option("--normalize", is_flag=True, help="Scale the loudest sample to --peak; never clips.")
@click.option("--peak", type=cli.FloatRange(-60, 0), default=-1.0, show_default=True,
              metavar="DBFS", help="The peak level --normalize scales to.")
@click.option("--soundfont", metavar="FILE", help="The SoundFont (.sf2/.sf3) to use.")
@click.option("--list-soundfonts", is_flag=True,
              help="Show where SoundFonts are looked for and which one is used.")
@click.option("--force", is_flag=True,
              help="Render even a stream that ended in an Abort, is empty or holds no notes.")
def command(io: cli.StageIO, out, midi_path, mid_path, rate, gain, length, tail_cap, normalize,
            peak, soundfont, list_soundfonts, force):
    """Render the stream on stdin (or --midi FILE) to a WAV file with FluidSynth.

    A stream that ended in an Abort (a stage before failed), is empty or holds no notes
    writes nothing and exits 65, the old file kept (--force renders it).
    """
    from .. import render

    if list_soundfonts:
        cli.write_stdout(render.soundfont_table(soundfont))
        render.find_soundfont(soundfont)  # exit 69 when none is there
        return None
    if not out:
        raise click.UsageError("give --out FILE.wav (or --out - for stdout)")
    if out == "-" and sys.stdout.isatty():
        raise click.UsageError("stdout is a terminal: give --out FILE.wav")
    render.find_soundfont(soundfont)  # fail before reading a long stream
    if midi_path:
        from ..midi import MidiFileError, midi_to_events

        try:
            events = midi_to_events(midi_path, warn=io.warn)
        except MidiFileError as e:
            raise DataError(f"{midi_path}: {e}") from None
        abort = None
    else:
        reader = io.reader_for_sink()
        events = list(reader)
        abort = reader.abort
    cli.refuse_file(out, abort=abort, events=len(events), force=force,
                    notes=sum(1 for e in events if e["type"] == "Note"))
    if mid_path:
        from ..midi import write_midi

        _write(lambda: write_midi(events, mid_path), mid_path)
    samples = render.render(events, rate=rate, gain=gain, soundfont=soundfont, length=length,
                            tail_cap=tail_cap, normalize=peak if normalize else None,
                            progress=_progress(sys.stderr), warn=io.warn)
    data = render.wav_bytes(samples, rate)
    if out == "-":
        io.writer.sink(data)
        return None
    from ..atomic import atomic_write

    _write(lambda: atomic_write(out, data), out)
    return None


def _write(action, path: str) -> None:
    try:
        action()
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None


main = command
