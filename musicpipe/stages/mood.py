"""mood: a whole multi-layer arrangement from a mood preset (TOML packs), as a stream or a file."""

from __future__ import annotations


import click

from .. import cli
from ..events import MAX_SEED
from ..stream import DataError
from ..theory import key_name, parse_key
from ..umbrella import AGENT_HELP
from . import piece

MOOD_HELP = (
    "Moods come from TOML packs: the built-in ones, then ~/.config/musicpipe/moods/*.toml, "
    "then $MUSICPIPE_MOODS (files or folders, :-separated), then --pack FILE; a later mood "
    "of the same name wins. Packs written for midi-cli-rs load as they are. Format: "
    "docs/moods.md; `mood --show NAME` prints a mood resolved, ready to copy into a pack. "
    "The piece lasts exactly --duration seconds (the stream's End, the .mid and the audio all "
    "end there; audio fades over its last 50 ms) and, without --tempo, is whole bars: the "
    "mood's tempo is fitted (within 4 %, a shorter last bar with its own TimeSig where no "
    "whole number of bars is that close); --tempo keeps the tempo asked and may end mid-bar. "
    "--bars N: N bars in --duration seconds, or at --tempo or the mood's tempo (then the "
    "length follows). --loop: whole bars (the nearest number; a --tempo is fitted too) that "
    "repeat seamlessly: no final chord, ritardando or fade, the last bar leading back into "
    "the first, loop points in .mid and .wav files, the reverb tail folded into the start. Each layer gets a "
    "mix (level, pan, reverb and chorus sends, pedal for pianos: ControlChange events at its "
    "start; see docs/moods.md). Audio (--out .wav, .flac, .ogg, .mp3) is brought to --loudness "
    "-16 LUFS (ITU-R BS.1770-4) with true peaks under -1 dBTP, so every mood and seed comes "
    "out equally loud; --stems DIR adds one file per layer and the mix, summing to it. mood "
    "does not read stdin (it never waits on it): it starts a fresh stream."
)

# The umbrella's lines, but its `musicpipe mood --list` recipe: mood's own list is below.
AGENT_LINES = "\b\n" + "".join(line for line in AGENT_HELP.splitlines(keepends=True)
                                if "mood --list" not in line) + """\
  For moods:
  mood jazz --duration 5 --key F --seed 1 --out j.mid  any of the 12 keys, major or minor
  mood upbeat --seed 3 | viz | to-midi --out u.mid     the stream, for more stages
  mood --list --json     name, description, tags, tempo, key, intensity, layers, source
  No --seed: a random one, printed on stderr. Exit 2: unknown mood (close names
  suggested); 65: a broken mood pack (the message names file, mood and field)."""


def _key(text: str) -> tuple[int, str | None]:
    return parse_key(text, default=None)


@cli.stage("mood", epilog=MOOD_HELP + "\n\n" + AGENT_LINES,
           not_stream=("--out", "-o", "--stems", "--list", "--show"), examples=[
    "mood calm --duration 8 --seed 7 --out calm.wav",
    "mood upbeat --bars 8 --duration 15 --seed 1 --out eight-bars.mid",
    "mood lofi --bars 16 --tempo 80 --seed 2 --out sixteen.wav",
    "mood calm --duration 16 --seed 3 --loop --out loop.wav",
    "mood jazz --duration 6 --seed 2 | viz | to-midi --out jazz.mid",
    "mood suspense --key Cm --tempo 90 --intensity 85 --seed 4 --out tense.mid",
    "mood rainy-day --pack examples/moods.toml --duration 5 --seed 1 --out rain.wav",
    "mood synthwave --duration 6 --seed 3 --out synth.mp3 --stems synth-stems/",
    "mood --list",
    "mood --show lofi",
])
@click.argument("name", required=False)
@click.option("--duration", "-d", type=cli.FloatRange(0.5, 3600), default=None,
              help="Length in seconds, exact (default: 8; with --bars, what they last).")
@click.option("--bars", "-b", type=click.IntRange(1, 10000), default=None,
              help="Whole bars: this many, in --duration seconds or at --tempo (not both; neither: "
                   "at the mood's tempo).")
@click.option("--loop", is_flag=True,
              help="A seamless loop: whole bars whose last leads back into the first, no "
                   "ending; loopStart/loopEnd Markers (.mid), a smpl loop chunk (.wav), the "
                   "tail folded into the start so the file repeats without a seam.")
@click.option("--key", "-k", callback=cli.parsed(_key), default=None, metavar="KEY",
              help="Key: Am, F#m, Cmaj, D dorian ...; a bare root (C) keeps the mood's mode "
                   "(default: the mood's key).")
@click.option("--tempo", "-t", type=cli.FloatRange(20, 400), default=None,
              help="BPM, kept as asked (default: the mood's, fitted to whole bars).")
@click.option("--intensity", "-i", type=click.IntRange(0, 100), default=None,
              help="0-100: density, loudness, how many layers play (default: the mood's).")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=None,
              help="Random seed (default: a random one, printed on stderr).")
@piece.file_options
@click.option("--pack", "packs", multiple=True, type=click.Path(dir_okay=False),
              help="Also load this mood pack (repeatable; wins over the others).")
@click.option("--soundfont", metavar="FILE", help="SoundFont for audio output.")
@click.option("--list", "as_list", is_flag=True, help="List the moods and exit.")
@click.option("--json", "as_json", is_flag=True, help="With --list: JSON for programs.")
@click.option("--show", "show", metavar="NAME", help="Print a mood resolved, as TOML.")
def command(io: cli.StageIO, name, duration, bars, loop, key, tempo, intensity, seed, out, stems, force,
            loudness, rate, bits, packs, soundfont, as_list, as_json, show):
    """A whole arrangement in one command: every layer on its own channel and instrument.

    NAME is a mood (`mood --list`): suspense, eerie, upbeat, calm, ambient, jazz, chiptune,
    orchestral, show, synthwave, lofi, heroic, or one from your packs.
    """
    from ..moods.packs import DEFAULT_TRANSFORMS, Library, PackError, to_toml

    io.stream_out = not (out or stems or as_list or show)  # only a stream ends in an Abort
    library = Library(list(packs))
    asked = [e for e in library.errors() if any(e.startswith(p + ":") for p in packs)]
    if asked:
        raise DataError(asked[0])
    if not as_list:
        for error in library.skipped():  # a FIFO or a huge file among the packs: say so
            io.warn(error)
    if as_list:
        for error in library.errors():
            io.warn(error)
        from ..moods.catalog import listing

        cli.write_stdout(listing(library, as_json))
        return None
    target = show or name
    if not target:
        raise click.UsageError("name a mood (mood calm), or use --list")
    try:
        mood = library.resolve(target)
    except KeyError:
        import difflib

        close = difflib.get_close_matches(target, library.names(), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        for error in library.errors():
            io.warn(error)
        raise click.BadParameter(f"no mood {target!r}; {hint}moods: {', '.join(library.names())}",
                                 param_hint="NAME") from None
    except PackError as e:
        raise DataError(str(e)) from None
    if show:
        cli.write_stdout(to_toml({**mood, "transforms": mood.get("transforms", DEFAULT_TRANSFORMS)}))
        return None
    if bars is not None and duration is not None and tempo is not None:
        raise click.UsageError("--bars with --duration or with --tempo, not both: "
                               "the other follows from them")
    if duration is None and bars is None:
        duration = 8.0
    piece.check_audio(out, stems, rate, bits)
    if seed is None:
        seed = io.random_seed()
    from ..moods.arrange import arrange
    from ..scoring.timeline import FitError

    own = parse_key(mood.get("key", "C"))
    if key is not None and key[1] is None:  # a root alone: the mood keeps its mode
        key = (key[0], own[1])
        if own[1] != "major":
            io.warn(f"--key {key_name(key[0], 'major')}: {target} is a {own[1]} mood, so this is "
                    f"{key_name(*key)} (write --key {key_name(key[0], 'major')}maj for major)")
    try:
        events = arrange(mood, seconds=duration, key=key or own, tempo=tempo,
                         intensity=intensity, seed=seed, bars=bars, loop=loop)
    except FitError as e:
        raise click.BadParameter(str(e), param_hint="--bars" if bars else "--duration") from None
    except ValueError as e:  # a pack value only the whole arrangement shows (a register too high)
        raise DataError(f"{library.source_of(target)}: mood {mood['name']!r}: {e}") from None
    if not out and not stems:
        return events
    piece.write(io, list(events), name="mood", out=out, stems=stems, force=force,
                loudness=loudness, rate=rate, bits=bits, soundfont=soundfont, length=duration,
                loop=loop)
    return None


main = command
