"""to-wav: render the stream (or a MIDI file) to a WAV file with FluidSynth."""

from __future__ import annotations

import sys

import click

from .. import cli
from ..errors import OutputError
from ..stream import DataError

TO_WAV_HELP = (
    "Output: stereo, 44.1 kHz unless --rate; the format by --out's extension (.wav, .flac, "
    ".ogg, .mp3); WAV and FLAC 16-bit unless --bits (24; 32 = float, WAV only). Level: as "
    "rendered, with peaks over --ceiling (-1 dBTP, 4x oversampled true peak) limited; "
    "--loudness LUFS brings the integrated loudness (ITU-R BS.1770-4) to a target under the "
    "same ceiling (-16 for streaming and podcasts, -23 for broadcast); --normalize scales the "
    "sample peak to --peak instead. Length: the piece (its End, else its last note's end) "
    "plus the release tail, cut when the sound stays under -80 dBFS for 50 ms (at most "
    "--tail-cap seconds) and faded to true zero; or exactly --length seconds with a 50 ms "
    "fade. Controllers in the stream (the mix stage's CC 7/10/11/64/91/93) are played per "
    "channel. --stems DIR writes one file per track (01-melody.wav, 02-bass.wav ... as "
    "to-midi numbers its tracks) and mix.wav, sample-aligned, one length, one gain: they sum "
    "to the mix. Drums on channel 9 play from the SoundFont's drum bank; every channel starts "
    "on program 0 until a ProgramChange. Reverb and chorus are fixed (docs/render.md), so the "
    "same stream gives the same bytes. Any length renders in the same memory (the audio waits "
    "on disk beside --out between measuring and writing: about 10 MB a minute); on a terminal "
    "a render that takes more than 2 s shows a bar with the time left. "
    "SoundFont order: --soundfont, $MUSICPIPE_SOUNDFONT (a "
    "file or a folder), ./soundfonts/ and the project's soundfonts/, "
    "~/.local/share/musicpipe/soundfonts/, then the system GM fonts (see --list-soundfonts)."
)


@cli.stage("to-wav", stream_out=False, epilog=TO_WAV_HELP, examples=[
    "seed 7 | motif --notes 16 --bpm 100 --patch piano | to-wav --out phrase.wav",
    "euclid --pulses 5 --steps 8 --note snare --repeat 4 | to-wav --out beat.wav --length 3",
    "mood lofi --duration 6 --seed 2 | to-wav --out lofi.flac --loudness -16 --bits 24",
    "mood jazz --duration 6 --seed 1 | to-wav --stems stems/ --out jazz.ogg --loudness -16",
    "to-midi --out riff.mid < examples/riff.jsonl && to-wav --midi riff.mid --out riff.wav --normalize --peak -3",
    "to-wav --list-soundfonts",
])
@click.option("--out", "-o", metavar="FILE", help="The audio file (atomic): .wav, .flac, .ogg "
              "or .mp3; - for WAV on stdout.")
@click.option("--midi", "midi_path", type=click.Path(exists=True, dir_okay=False),
              help="Render this MIDI file instead of the stream on stdin.")
@click.option("--mid", "mid_path", metavar="FILE.mid",
              help="Also write the rendered stream as a MIDI file.")
@click.option("--stems", metavar="DIR", help="Also write one file per track and the mix "
              "into DIR (a folder with files in it needs --force).")
@click.option("--force", is_flag=True,
              help="Overwrite files in --stems DIR; render even a stream that ended in an "
                   "Abort, is empty or holds no notes.")
@click.option("--rate", type=click.IntRange(8000, 96000), default=44100, show_default=True,
              help="Sample rate in Hz: 8000..96000, what FluidSynth renders (48000 for video).")
@click.option("--bits", type=click.Choice(["16", "24", "32"]), default=None,
              help="WAV/FLAC sample format: 16 (default), 24, 32 (float, WAV only).")
@click.option("--loudness", type=cli.FloatRange(-70, -1), default=None, metavar="LUFS",
              help="Integrated loudness to reach, e.g. -16 (BS.1770-4; peaks under --ceiling).")
@click.option("--ceiling", type=cli.FloatRange(-20, 0), default=-1.0, show_default=True,
              metavar="DBTP", help="True-peak ceiling: peaks above it are limited.")
@click.option("--gain", type=cli.FloatRange(0.0, 10.0), default=1.0, show_default=True,
              help="FluidSynth master gain (before --loudness / --normalize).")
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
def command(io: cli.StageIO, out, midi_path, mid_path, stems, force, rate, bits, loudness,
            ceiling, gain, length, tail_cap, normalize, peak, soundfont, list_soundfonts):
    """Render the stream on stdin (or --midi FILE) to audio with FluidSynth: WAV, FLAC, Ogg
    or MP3, at a loudness, with stems.

    A stream that ended in an Abort (a stage before failed), is empty or holds no notes
    writes nothing and exits 65, the old file kept (--force renders it).
    """
    from ..audio import export, soundfonts
    from ..audio.progress import bar

    if list_soundfonts:
        cli.write_stdout(soundfonts.soundfont_table(soundfont))
        soundfonts.find_soundfont(soundfont)  # exit 69 when none is there
        return None
    if not out and not stems:
        raise click.UsageError("give --out FILE.wav (or --out - for stdout, or --stems DIR)")
    if out == "-" and sys.stdout.isatty():
        raise click.UsageError("stdout is a terminal: give --out FILE.wav")
    if normalize and loudness is not None:
        raise click.UsageError("--normalize (peak) and --loudness are two ways to set the "
                               "level: give one")
    bits = int(bits) if bits else None
    try:
        ext, _ = export.format_of(out if out and out != "-" else "x.wav", bits)
        export.check_rate(ext, rate)
    except export.FormatError as e:
        raise click.BadParameter(str(e), param_hint="--out") from None
    soundfonts.find_soundfont(soundfont)  # fail before reading a long stream
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
    cli.refuse_file(out or stems, abort=abort, events=len(events), force=force,
                    notes=sum(1 for e in events if e["type"] == "Note"))
    if mid_path:
        from ..midi import write_midi

        _write(lambda: write_midi(events, mid_path), mid_path)
    export.export(events, out, stems=stems, force=force, rate=rate, bits=bits,
                  loudness=loudness, ceiling=ceiling, peak=peak if normalize else None,
                  gain=gain, soundfont=soundfont, length=length, tail_cap=tail_cap,
                  progress=bar("to-wav"), warn=io.warn, sink=io.writer.sink)
    return None


def _write(action, path: str) -> None:
    try:
        action()
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from None


main = command
