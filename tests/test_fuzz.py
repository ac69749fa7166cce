"""Generated hostile input for every stage (issues 16 and 21): streams, options, MIDI bytes,
packs, --split folders.

Each stage runs in-process (click's runner) on inputs hypothesis draws, derandomized so every
run tries the same inputs. The default run is a fixed, representative sample: about 1,000
inputs, every stage and every test below (about half a minute on a quiet machine).
FUZZ_SCALE multiplies every volume: CI runs FUZZ_SCALE=12 (about 12,000 inputs, .ci/run).
Every case must hold the contract:

- the exit code is one of 0, 2, 65, 69, 73 (never 70, "internal error", or a traceback);
- stderr holds no escape codes and no message line of 1,500 characters or more;
- stdout of a stream stage is JSON Lines that the validating reader accepts (so every
  value written is inside the event table's ranges), at most ending in one Abort;
- a sink that fails leaves the file it was asked to write byte for byte as it was;
- no case hangs (a 60 s alarm per case: a guard against hangs, not a speed test).

The counts of inputs tried per stage are printed at the end of the run (tests/conftest.py).
"""

from __future__ import annotations

import io
import json
import os
import signal
import string
from contextlib import contextmanager

import click
import orjson
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from musicpipe.events import EVENTS, MAX_SEED, MAX_TICK, TIMED
from musicpipe.outfolder import MANIFEST
from musicpipe.stream import DataError, Reader
from musicpipe.theory import CHORDS, FLAT_NAMES, SCALES, SHARP_NAMES
from musicpipe.umbrella import _module
from tests.conftest import FUZZ_CODES, FUZZ_COUNTS
from tests.test_abort import needs_font

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
EXIT_CODES = {0, 2, 65, 69, 73}
STREAM_OUT = {"seed", "transpose", "motif", "seq", "euclid", "scale", "humanize", "rubato",
              "trim", "viz", "from-midi", "mood", "chords", "bass", "loop", "section", "concat",
              "merge", "analyze", "mix", "quantize", "click"}


def fuzz_settings(examples: int):
    """``examples`` inputs in the default run, FUZZ_SCALE times as many when it is set."""
    return settings(max_examples=max(1, int(examples * SCALE)), deadline=None,
                    derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck),
                    phases=[p for p in Phase if p is not Phase.explain])  # its tracing: 10x slower


# --- values --------------------------------------------------------------------------------

EDGE_INTS = [0, 1, -1, 2, 7, 60, 127, 128, 255, 480, 1920, 2**15, 2**31 - 1, 2**31, 2**32,
             2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), 10**30]
ints = st.one_of(st.integers(-5, 2000), st.sampled_from(EDGE_INTS))
floats = st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=64),
                   st.sampled_from([0.0, 0.5, 4, 1000, 1000.5, 3.9, -0.0, 1e308]))
anything = st.recursive(
    st.one_of(ints, floats, st.text(max_size=6), st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=6)


CHORD_SYMBOLS = [root + quality for root in ("C", "F#", "Bb", "A") for quality in CHORDS]
VOCABULARY = {"note": st.sampled_from(SHARP_NAMES + FLAT_NAMES),
              "scale": st.sampled_from(sorted(SCALES)), "chord": st.sampled_from(CHORD_SYMBOLS)}


def _valid(field, far: bool):
    """A value inside the field's range, edges likely; times kept small unless ``far``. A
    text field with a vocabulary (KeySig key and mode, a Chord's name) gets its words."""
    if field.kind == "str":
        if field.valid:
            return st.one_of(VOCABULARY[field.valid], VOCABULARY[field.valid], st.text(max_size=12))
        return st.text(max_size=12)
    if field.pow2:
        return st.sampled_from([1, 2, 4, 8, 16, 32, 64])
    hi = field.hi if field.hi is not None else 10**6
    if field.name in ("t", "dur") and not far:
        hi = min(hi, 20_000)
    if field.kind == "number":
        return st.one_of(st.integers(field.lo, int(hi)), st.floats(field.lo, hi))
    return st.one_of(st.integers(field.lo, hi), st.sampled_from([field.lo, hi]))


@st.composite
def event(draw, far: bool = True, broken: bool = True):
    """An event of a known type, valid; when ``broken``, sometimes a field broken, missing
    or extra."""
    typ = draw(st.sampled_from(list(EVENTS) + ["Note"] * 6 + ["Lyric", "", "note"]))
    if not broken and typ == "Abort":
        typ = "Note"
    ev = {"type": typ}
    table = EVENTS.get(typ)
    for field in table.fields if table else ():
        roll = draw(st.integers(0, 39)) if broken else 3
        if roll == 0:
            continue                                  # missing
        ev[field.name] = draw(anything if roll == 1 else _valid(field, far or roll == 2))
    if broken and draw(st.integers(0, 9)) == 0:
        ev[draw(st.sampled_from(["t", "track", "x", "seed", "dur", "type"]))] = draw(anything)
    return ev


def _dump(value) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer past 64 bits: stdlib json writes it
        return json.dumps(value).encode()


# Whole events at the stream's edges, the shapes that made stages grind or write millions of
# lines (issue 21): a chord over the whole timeline, an End at the last tick, a piece of no
# length, the widest and narrowest bars, names too long for a file or holding escapes.
SHAPES = [
    {"type": "Chord", "t": 0, "dur": MAX_TICK, "root": "C", "quality": "", "name": "C"},
    {"type": "Chord", "t": MAX_TICK, "dur": MAX_TICK, "root": "G", "quality": "7", "name": "G7"},
    {"type": "Chord", "t": 0, "dur": 1920, "root": "C", "quality": "?", "name": "C?"},
    {"type": "End", "t": MAX_TICK}, {"type": "End", "t": 0},
    {"type": "TimeSig", "t": 0, "num": 64, "den": 1}, {"type": "TimeSig", "t": 0, "num": 1, "den": 64},
    {"type": "Note", "t": MAX_TICK, "dur": MAX_TICK, "ch": 0, "key": 127, "vel": 127},
    {"type": "Marker", "t": 0, "ch": 0, "text": "x" * 3000},
    {"type": "Marker", "t": 0, "ch": 1, "text": "a\x1b[31m\nb/../c"},
    {"type": "KeySig", "t": 0, "key": "F#", "mode": "locrian"},
]

RAW_LINES = [b"", b"   ", b"{", b"[]", b"null", b"NaN", b'{"type":"Note"', b"\xff\xfe",
             b"[" * 5000 + b"]" * 5000, b'{"type":"X","n":' + b"9" * 40 + b"}",
             b'{"type":"Note","t":1e400}', b'{"type":"Abort","stage":"up","message":"m"}',
             b'{"type":"NoteOn","t":0,"ch":0,"key":60,"vel":90}',
             b'{"type":"NoteOff","t":99,"ch":0,"key":60}']


@st.composite
def stream(draw, far: bool = True, max_events: int = 40) -> bytes:
    """JSON Lines bytes: a Seed usually first, generated events, now and then a raw line."""
    broken = draw(st.booleans())  # half the streams are valid through and through
    lines = []
    if draw(st.booleans()):
        lines.append(_dump({"type": "Seed", "seed": draw(st.integers(0, MAX_SEED))}))
    for _ in range(draw(st.integers(0, max_events))):
        if broken and draw(st.integers(0, 14)) == 0:
            lines.append(draw(st.one_of(st.sampled_from(RAW_LINES), st.binary(max_size=30))))
        elif draw(st.integers(0, 11)) == 0:
            lines.append(_dump(draw(st.sampled_from(SHAPES))))
        else:
            lines.append(_dump(draw(event(far=far, broken=broken))))
    data = b"\n".join(lines)
    return data + (b"\n" if draw(st.integers(0, 5)) else b"")


# --- options -------------------------------------------------------------------------------

WORDS = ["0", "1", "-1", "2", "3", "8", "16", "60", "127", "128", "0.5", "1.5", "-0.5", "4",
         "1000", "20", "400", "nan", "inf", "-inf", "1e400", "", "abc", "C4", "D", "F#", "Bb",
         "Am", "D dorian", "dorian", "blues", "4/4", "3/5", "7/8", "t120", "8t", "4.", "2bars",
         "0.5bars", "99999bars", "960t", "5%", "100%", "nan%", "150%", "999999999999999999999",
         "-999999999999999999999", "18446744073709551616", "piano", "kick", "snare",
         "closed-hat", "strings", "200", "10000", "65536", "4,8,8", "mixed", "octave",
         "clamp", "drop", "up", "down", "ragtime", "random", "wave", "1e3", "G9", "C9", "E1",
         "0.01", "0.001", "x" * 300, "a\x1b[2Jb", "line\nbreak"]
option_value = st.one_of(st.sampled_from(WORDS), st.integers(-10, 300).map(str))
NOTATION = st.one_of(
    st.sampled_from(["C4/4 E4/8 G4/8", "[C4,E4,G4]/2 R/4", "C4/t99999999999", "C4/0", "Xm",
                     "C4/4~C4/8 *96", "| |", "C9/1", "130/4", "C4/4." * 30, "R", ""]),
    st.text(alphabet=string.ascii_letters + string.digits + "/[],.~*|#b t", max_size=30))

# Options whose value is a path: the harness chooses it (files are the sinks' business).
PATH_OPTIONS = {"--out", "--svg", "--mid", "--pack", "--soundfont", "--file", "--midi", "--json",
                "--wav", "--stems", "--split"}
# Kept small where a valid value could ask for minutes of work (an hour of audio).
SMALL = {"--length": ["0.5", "1", "nan", "-1", "0", "99999999"],
         "--duration": ["0.5", "1", "2", "0.4", "nan", "3601", "inf"],
         "--tail-cap": ["0", "0.5", "nan", "61"],
         "--notes": ["1", "8", "0", "64", "1000001", "nan"],
         "--bars": ["1", "2", "0", "8", "99999999999"],
         "--repeat": ["1", "2", "4", "0", "100001", "-1"],
         "--steps": ["1", "8", "16", "0", "1025"],
         "--pulses": ["0", "3", "8", "1025", "-1"]}


def _options(command: click.Command, skip=()) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option)
            and p.opts[0] not in PATH_OPTIONS | {"--help", "--debug"} | set(skip)]


@st.composite
def arguments(draw, stage: str) -> list[str]:
    """A random subset of the stage's own options (read from its click command), each with a
    drawn value; flags alone."""
    command = _module(stage).command
    args: list[str] = []
    for opt in draw(st.lists(st.sampled_from(_options(command)), max_size=4, unique_by=id)):
        name = opt.opts[0]
        args.append(name)
        if not opt.is_flag:
            args.append(draw(st.sampled_from(SMALL[name]) if name in SMALL else st.one_of(
                _plausible(opt.type), option_value)))
    return args


def _plausible(kind: click.ParamType):
    """Values the option's own type accepts (half the draws), so the stage gets to work."""
    if isinstance(kind, click.IntRange):
        lo = -50 if kind.min is None else kind.min
        return st.integers(lo, min(lo + 500, 10**6 if kind.max is None else kind.max)).map(str)
    if isinstance(kind, click.FloatRange):
        return st.floats(kind.min, kind.max).map(repr)
    if isinstance(kind, click.Choice):
        return st.sampled_from(list(kind.choices))
    return option_value


# --- running -------------------------------------------------------------------------------

class Hang(BaseException):
    """Raised by the alarm: the case ran for a minute."""


@contextmanager
def _alarm(seconds: int = 60):
    def ring(signum, frame):
        raise Hang(f"no answer after {seconds} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(autouse=True)
def _scratch_cwd(tmp_path, monkeypatch):
    """Each test runs in its own folder: a drawn value that names a file lands there."""
    monkeypatch.chdir(tmp_path)


def invoke(stage: str, args: list[str], stdin: bytes = b"", env: dict | None = None):
    FUZZ_COUNTS[stage] = FUZZ_COUNTS.get(stage, 0) + 1
    with _alarm():
        result = CliRunner().invoke(_module(stage).command, args, input=stdin,
                                    env={"NO_COLOR": "1", **(env or {})}, catch_exceptions=True)
    FUZZ_CODES[result.exit_code] = FUZZ_CODES.get(result.exit_code, 0) + 1
    where = f"{stage} {args} <<< {stdin[:300]!r}"
    err = result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{where}: raised {result.exception!r}")
    assert result.exit_code in EXIT_CODES, f"{where}: exit {result.exit_code}: {err}"
    assert "Traceback" not in err and "internal error" not in err, f"{where}: {err}"
    messages = [line for line in err.splitlines() if line.startswith(f"{stage}:")]
    assert "\x1b" not in err and max(map(len, messages), default=0) < 1500, (
        f"{where}: an escape code or an overlong message on stderr: {err[:500]!r}")
    if stage in STREAM_OUT and _is_stream(args):
        _check_stream(result.stdout_bytes, result.exit_code, where)
    return result


def _is_stream(args: list[str]) -> bool:
    """Whether the stage was asked for a stream (not --list, --show, --notation, --out)."""
    return not set(args) & {"--list", "--show", "--notation", "--out", "--json", "-o", "--stems",
                            "--split"}


def _check_stream(out: bytes, code: int, where: str) -> None:
    try:
        lines = [orjson.loads(line) for line in out.splitlines() if line.strip()]
    except orjson.JSONDecodeError as e:
        raise AssertionError(f"{where}: stdout is not JSON Lines ({e})") from None
    body = out
    if code != 0:
        last = lines[-1] if lines else None
        assert isinstance(last, dict) and last.get("type") == "Abort", (
            f"{where}: exit {code} without an Abort as the last line")
        body = out.rstrip()[:out.rstrip().rfind(b"\n") + 1]
    reader = Reader(io.BytesIO(body), abort_raises=False)  # validates every value
    try:
        events = list(reader)
    except DataError as e:
        raise AssertionError(f"{where}: wrote an invalid stream: {e}") from None
    assert all(e["t"] <= MAX_TICK for e in events if e["type"] in TIMED)


# --- the tests -----------------------------------------------------------------------------

STREAM_STAGES = ["seed", "transpose", "scale", "humanize", "rubato", "trim", "viz", "motif",
                 "seq", "euclid", "chords", "bass", "loop", "section", "analyze", "mix", "quantize",
                 "click"]
PROGRESSION = st.one_of(
    st.sampled_from(["I vi IV V", "ii7 V7 Imaj7", "Am F C G", "I XIV", "", "bVII", "Qmaj7",
                     "i iv v", "I" * 40]),
    st.text(alphabet="IVivb#7majdimsu4ABCDEFG ", max_size=20))


@pytest.mark.parametrize("stage", STREAM_STAGES)
def test_streams_and_options(stage):
    @fuzz_settings(40)
    @given(data=stream(), args=arguments(stage), notation=NOTATION, progression=PROGRESSION)
    def case(data, args, notation, progression):
        extra = {"seq": [notation] if notation.strip() else [], "seed": [str(len(data))],
                 "chords": [progression or "I"], "section": [notation[:12] or "verse"]}
        invoke(stage, extra.get(stage, []) + args, data)

    case()


@pytest.mark.parametrize("sink", ["to-midi", "viz", "to-musicxml"])
def test_sinks_never_replace_a_file_on_failure(sink, tmp_path):
    target = tmp_path / {"to-midi": "keep.mid", "viz": "keep.svg", "to-musicxml": "keep.musicxml"}[sink]
    flag = "--svg" if sink == "viz" else "--out"

    @fuzz_settings(40)
    @given(data=stream(), args=arguments(sink))
    def case(data, args):
        target.write_bytes(b"the old file")
        result = invoke(sink, args + [flag, str(target)], data)
        if result.exit_code != 0 and "--force" not in args:  # viz --force: the picture, then 65
            assert target.read_bytes() == b"the old file", f"{sink} {args}: replaced on failure"
        elif "--force" not in args:
            assert target.read_bytes() != b"the old file"

    case()


@needs_font
def test_to_wav_streams_and_options(tmp_path):
    target = tmp_path / "keep.wav"

    @fuzz_settings(10)
    @given(data=stream(far=False, max_events=12), args=arguments("to-wav"))
    def case(data, args):
        if "--rate" in args:  # a render at a random rate is fine; keep it short
            args = args + ["--length", "0.5"]
        target.write_bytes(b"the old file")
        result = invoke("to-wav", args + ["--out", str(target)], data)
        if result.exit_code != 0:
            assert target.read_bytes() == b"the old file"
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]

    case()


def _smf(division: int, tracks: list[bytes], fmt: int = 1) -> bytes:
    import struct

    return (b"MThd" + struct.pack(">LHHH", 6, fmt, len(tracks), division & 0xFFFF) + b"".join(
        b"MTrk" + struct.pack(">L", len(t)) + t for t in tracks))


@st.composite
def midi_bytes(draw) -> bytes:
    """A Standard MIDI File of random messages, then maybe mutated (flipped, cut, grown)."""
    tracks = []
    for _ in range(draw(st.integers(0, 3))):
        body = b""
        for _ in range(draw(st.integers(0, 12))):
            delta = draw(st.sampled_from([b"\x00", b"\x60", b"\x83\x60", b"\xff\xff\xff\x7f",
                                          b"\x8f\xff\xff\xff\x7f"]))
            msg = draw(st.one_of(
                st.tuples(st.integers(0x80, 0xEF), st.integers(0, 255), st.integers(0, 255))
                .map(bytes),
                st.sampled_from([b"\xff\x51\x03\x07\xa1\x20", b"\xff\x51\x03\x00\x00\x00",
                                 b"\xff\x58\x04\x06\x03\x18\x08", b"\xff\x58\x04\x00\x07\x18\x08",
                                 b"\xff\x59\x02\x40\x00", b"\xff\x59\x02\x02\x05",
                                 b"\xff\x03\x04Lead", b"\xff\x06\x02\xff\xfe",
                                 b"\xf0\x03\x7e\x7f\xf7", b"\xff\x7f\x00"]),
                st.binary(max_size=4)))
            body += delta + msg
        tracks.append(body + b"\x00\xff\x2f\x00")
    division = draw(st.sampled_from([480, 96, 1, 0, 0x7FFF, -(25 << 8) | 40, -(25 << 8),
                                     -(29 << 8) | 80, -(0 << 8) | 4]))
    data = bytearray(_smf(division, tracks, draw(st.sampled_from([0, 1, 2]))))
    for _ in range(draw(st.integers(0, 3))):
        how = draw(st.integers(0, 2))
        if how == 0 and data:
            i = draw(st.integers(0, len(data) - 1))
            data[i] = draw(st.integers(0, 255))
        elif how == 1:
            del data[draw(st.integers(0, len(data))):]
        else:
            data += draw(st.binary(max_size=16))
    return bytes(data)


def test_from_midi_bytes():
    @fuzz_settings(60)
    @given(data=midi_bytes(), notation=st.booleans())
    def case(data, notation):
        invoke("from-midi", ["-"] + (["--notation"] if notation else []), data)

    case()


@needs_font
def test_to_wav_midi_files(tmp_path):
    src = tmp_path / "in.mid"

    @fuzz_settings(6)
    @given(data=midi_bytes())
    def case(data):
        src.write_bytes(data)
        invoke("to-wav", ["--midi", str(src), "--out", str(tmp_path / "x.wav"), "--length", "0.3"])

    case()


# Packs: every schema field with valid and broken values, as TOML text.
PACK_FIELDS = {
    "tempo": ["90", "nan", "inf", "0", "20", "400", "401", "99999999999999999999", '"fast"'],
    "key": ['"Am"', '"H"', "3", '"C"'], "intensity": ["0", "100", "101", "-1", "50.5"],
    "time_sig": ['"3/4"', '"3/5"', '"0/4"', '"4"'],
    "harmony": ['"I IV V"', '"I XIV"', '["ii7", "V7"]', "[1]", "[]", '{ progression = "vi" }',
                '{ tension = nan }', '{ bars_per_chord = 0 }'],
    "extends": ['"calm"', '"jazz"', '"nope"', '"self"', "1"],
    "dynamics": ['{ velocity_base = 200 }', '{ build_curve = "wave" }', "{ }"],
    "layers": ["[]", '"x"'],
    "bogus": ["1"],
}
LAYER_FIELDS = {
    "generator": ['"motif"', '"seq"', '"euclid"', '"chords"', '"bass"', '"arp"', '"nope"'],
    "instruments": ['["piano"]', "[]", '["nope"]', "[200]", '"strings"', '["808"]'],
    "ch": ["0", "9", "15", "16", "-1"], "density": ["0", "1", "0.5", "nan", "2"],
    "register": ["{ base = 127, range = 60 }", '{ base = "C9" }', "{ range = 1 }",
                 '{ base = "C2", range = 12 }', "{ base = -1 }"],
    "octave": ["-1", "9", "10", "4"], "contour": ["[]", '["wave"]', '"arch"', '["bad"]'],
    "notes": ['"C4/4 E4/8"', '"Xq"', '"C4/t9999999999"', '""', '"R/1"'],
    "voices": ["[]", '[{ note = "kick", pulses = 64, steps = 1 }]', '[{ note = "nope" }]', "[1]"],
    "rate": ['"8t"', '"5"'], "octaves": ["1", "4", "5"], "swing": ["0.5", "nan"],
    "min_intensity": ["0", "100", "101"], "enabled": ["false", "true", "1"],
}


@st.composite
def pack_text(draw) -> str:
    lines = ["[[moods]]", 'name = "fz"']
    for name in draw(st.lists(st.sampled_from(sorted(PACK_FIELDS)), max_size=4, unique=True)):
        value = draw(st.sampled_from(PACK_FIELDS[name]))
        lines.append(f"{name} = {value.replace('self', 'fz')}")
    if not any(line.startswith("extends") for line in lines) and draw(st.booleans()):
        lines.append('extends = "calm"')
    for i in range(draw(st.integers(0, 3))):
        lines += ["[[moods.layers]]", f'name = "l{i}"']
        for name in draw(st.lists(st.sampled_from(sorted(LAYER_FIELDS)), max_size=4, unique=True)):
            lines.append(f"{name} = {draw(st.sampled_from(LAYER_FIELDS[name]))}")
    text = "\n".join(lines) + "\n"
    if draw(st.integers(0, 9)) == 0:  # broken TOML now and then
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.sampled_from(["[[", "= =", "\x00", "[" * 3000, "é"]))
    return text


def test_mood_packs_and_options(tmp_path):
    pack = tmp_path / "fz.toml"

    @fuzz_settings(40)
    @given(text=pack_text(), args=arguments("mood"), name=st.sampled_from(["fz", "calm", "Jazz", "nope"]))
    def case(text, args, name):
        pack.write_text(text)
        with_duration = [] if "--duration" in args or "-d" in args else ["--duration", "1"]
        invoke("mood", [name, "--pack", str(pack), "--seed", "1"] + with_duration + args)

    case()


def test_mood_out_never_replaces_a_file_on_failure(tmp_path):
    pack = tmp_path / "fz.toml"
    target = tmp_path / "keep.mid"

    @fuzz_settings(20)
    @given(text=pack_text(), name=st.sampled_from(["fz", "calm", "nope"]),
           intensity=st.sampled_from(["0", "50", "100"]))
    def case(text, name, intensity):
        pack.write_text(text)
        target.write_bytes(b"the old file")
        result = invoke("mood", [name, "--pack", str(pack), "--seed", "1", "--duration", "1",
                                 "--intensity", intensity, "--out", str(target)])
        if result.exit_code != 0:
            assert target.read_bytes() == b"the old file"

    case()


def test_seq_score_files(tmp_path):
    score = tmp_path / "score.txt"

    @fuzz_settings(30)
    @given(text=st.one_of(NOTATION, st.binary(max_size=60).map(lambda b: b.decode("latin1"))),
           raw=st.binary(max_size=8))
    def case(text, raw):
        score.write_bytes(text.encode("utf-8", "surrogatepass") + raw)
        invoke("seq", ["--file", str(score)])

    case()


@pytest.mark.parametrize("stage", ["concat", "merge"])
def test_stream_files(stage, tmp_path):
    other = tmp_path / "part.jsonl"

    @fuzz_settings(30)
    @given(data=stream(), part=stream(), order=st.booleans())
    def case(data, part, order):
        other.write_bytes(part)
        files = ["-", str(other)] if order else [str(other), "-", str(other)]
        invoke(stage, files, data)

    case()


def test_analyze_json_file_is_never_replaced_on_failure(tmp_path):
    target = tmp_path / "report.json"

    @fuzz_settings(30)
    @given(data=stream(), args=arguments("analyze"))
    def case(data, args):
        target.write_bytes(b"the old file")
        result = invoke("analyze", args + ["--json", str(target)], data)
        if result.exit_code != 0 and "--force" not in args:
            assert target.read_bytes() == b"the old file"

    case()


def _folder(path) -> dict | None:
    """A folder's files and their bytes (None: no folder)."""
    if not path.exists():
        return None
    return {p.name: p.read_bytes() for p in path.iterdir()}


def test_split_folders(tmp_path):
    """to-midi --split into a new folder, one holding the user's file, or one an earlier
    split wrote: a failure leaves the folder as it was (or absent), a success writes the
    files its list names and removes only the earlier split's, never the user's."""
    import shutil

    target = tmp_path / "tracks"

    @fuzz_settings(30)
    @given(data=stream(), force=st.booleans(), held=st.sampled_from(["none", "user", "earlier"]))
    def case(data, force, held):
        shutil.rmtree(target, ignore_errors=True)
        if held != "none":
            target.mkdir()
            (target / "mine.txt").write_bytes(b"the user's")
        if held == "earlier":
            (target / "09-old.mid").write_bytes(b"old")
            (target / MANIFEST).write_text("09-old.mid\n")
        before = _folder(target)
        result = invoke("to-midi", ["--split", str(target)] + (["--force"] if force else []), data)
        after = _folder(target)
        if result.exit_code != 0:
            assert after == before, f"--split {force=} {held=}: the folder changed on failure"
            return
        listed = set((target / MANIFEST).read_text().split())
        assert set(after) - {MANIFEST, "mine.txt"} == listed
        assert held == "none" or after["mine.txt"] == b"the user's"
        assert "09-old.mid" not in after and not [n for n in after if n.endswith(".tmp")]

    case()
