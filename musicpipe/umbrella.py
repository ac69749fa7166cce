"""`musicpipe <stage> ...`: every stage under one command (also `python -m musicpipe`).

Stage modules are imported only when named, so `musicpipe transpose` starts as fast as the
`transpose` console script. ``COMMANDS`` are the umbrella's own commands over the library
(the MCP server, batch rendering, the web studio): no stream stages, so `mp.run` never runs them.
"""

from __future__ import annotations

import importlib
import os
import sys

STAGES = {
    "seed": "start a stream with a Seed",
    "motif": "seeded melodic phrase generator",
    "seq": "explicit notes from text notation (C4/4 E4/8 [C4,E4,G4]/2)",
    "euclid": "Euclidean (Bjorklund) rhythms, GM drums by name",
    "chords": "a chord progression: Chord events and voiced chords (I vi IV V, Am7 D7)",
    "bass": "a bass line over the stream's chords (root, walking, octave, pedal...)",
    "scale": "snap notes to a scale or mode",
    "transpose": "shift notes by semitones",
    "humanize": "seeded timing, velocity and length variation",
    "quantize": "move notes onto a rhythmic grid (16, 8t), with strength and swing",
    "click": "a metronome part: accented downbeats following the stream's meter and tempo",
    "rubato": "tempo variation over time",
    "trim": "cut trailing silence or to N bars",
    "concat": "play stream files one after another (intro, verse, chorus)",
    "merge": "play stream files together, one End at the longest",
    "loop": "repeat the stream N times or to fill N bars",
    "section": "name a section: a Marker DAWs show (to-musicxml: a rehearsal mark)",
    "mix": "level, pan, reverb/chorus sends, expression, sustain per channel (CCs)",
    "viz": "draw the stream on stderr (sparkline, piano roll, SVG); passes it through",
    "to-midi": "write a multi-track Standard MIDI File",
    "to-musicxml": "write a MusicXML score (parts, chord symbols, sections) for MuseScore & co",
    "from-midi": "read a MIDI file into a stream (or seq notation)",
    "to-wav": "render with FluidSynth to a WAV file",
    "mood": "a whole arrangement from a mood preset (TOML packs)",
    "analyze": "report what a listener hears (key, melody, repetition, ending); passes the stream",
    "score": "play a score plan (moods on a timeline, hits, intensity curves) as one piece",
}

COMMANDS = {
    "mcp": "MCP server on stdio for AI agents (--root DIR)",
    "batch": "render many variations (jobs.jsonl or jobs.toml) over a process pool",
    "serve": "the local web studio on 127.0.0.1 (--port 8765, --root DIR)",
    "instruments": "list the GM instruments --patch accepts (--json for programs)",
    "drums": "list the GM drum names euclid and seq accept (--json)",
    "scales": "list the scales and modes (--json)",
}

AGENT_HELP = """\
For AI agents and scripts:
  mood calm --duration 8 --seed 7 --out calm.wav      one command, exact length, same bytes every run
  seed 7 | motif --notes 16 | to-midi --out m.mid      a stage pipeline
  musicpipe mood --list --json                          machine-readable list of moods
  musicpipe mcp --root DIR                              the same as MCP tools for agents (README)
  Exit codes: 0 ok, 2 bad option, 65 bad input data (message names line and field),
  69 missing FluidSynth, SoundFont or codec (message says how to install), 70 a bug,
  73 an output file that cannot be written. A failed stage ends its stream with an
  {"type":"Abort",...} line: later stages pass it on and exit 65, and to-midi, to-wav,
  viz --svg, mood --out keep the old file (--force writes anyway).
  Same seed + same arguments = byte-identical stream, .mid and .wav. No prompts, no tracebacks
  (--debug shows them); stdout carries only the stream or file bytes, diagnostics go to stderr.
"""


def _module(stage: str):
    try:
        return importlib.import_module(f"musicpipe.stages.{stage.replace('-', '_')}")
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("musicpipe.stages."):
            return None
        raise


def available() -> list[str]:
    from importlib.util import find_spec

    return [s for s in STAGES if find_spec(f"musicpipe.stages.{s.replace('-', '_')}") is not None]


def usage() -> str:
    from . import __version__

    width = max(map(len, STAGES))
    lines = [f"musicpipe {__version__}: compose MIDI with Unix pipes.", "",
             "Usage: musicpipe STAGE [OPTIONS] ...   (each stage is also its own command)",
             "       musicpipe STAGE --help", "", "Stages:"]
    lines += [f"  {s.ljust(width)}  {STAGES[s]}" for s in available()]
    lines += ["", "Commands:"] + [f"  {c.ljust(width)}  {text}" for c, text in COMMANDS.items()]
    lines += ["", "Example:", "  seed 42 | motif --notes 16 --bpm 110 | scale --root D --mode dorian"
              " | humanize | to-midi --out tune.mid", "", AGENT_HELP]
    return "\n".join(lines)


def main(args: list[str] | None = None) -> None:
    args = sys.argv[1:] if args is None else args
    if not args or args[0] in ("-h", "--help", "help", "--version"):
        from . import __version__

        text = f"musicpipe {__version__}\n" if args[:1] == ["--version"] else usage()
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            pass
        except (OSError, AttributeError) as e:  # > /dev/full, stdout closed
            why = e.strerror if isinstance(e, OSError) else "it is closed"
            sys.stderr.write(f"musicpipe: cannot write to stdout: {why}\n")
            if sys.stdout is not None:
                os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            sys.exit(73)
        sys.exit(0)
    name = args[0]
    module = _module(name) if name in STAGES or name in COMMANDS else None
    if module is None:
        sys.stderr.write(f"musicpipe: unknown stage {name!r}; stages: {', '.join(available())}; "
                         f"commands: {', '.join(COMMANDS)}\n")
        sys.exit(2)
    module.command.main(args[1:], prog_name=f"musicpipe {name}")
