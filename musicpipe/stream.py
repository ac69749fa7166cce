"""Streaming JSON Lines in and out: validated, line-numbered, NoteOn/NoteOff paired.

The reader takes whatever the pipe has (``read1``), so a stage sees events as soon as they
arrive and memory stays constant; it parses each chunk's lines with one ``orjson.loads`` call
and checks them with the table's compiled checkers, or, for the hot stages (``typed``), turns
a chunk into msgspec Structs that are decoded and checked in one C pass (``structs``). The
writer keeps its own buffer and writes to the file descriptor itself, so output is fast even
with ``PYTHONUNBUFFERED=1``, and it is flushed whenever the reader is about to wait for more
input, so a slow producer never leaves finished events stuck in a buffer.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, groupby, islice, repeat
from operator import add, attrgetter

import orjson

from .events import MAX_LINE_MIB, MAX_TICK, PPQ, EventError, check, check_batch

_loads = orjson.loads
_dumps = orjson.dumps
_NL = orjson.OPT_APPEND_NEWLINE

CHUNK = 1 << 16
MAX_LINE = MAX_LINE_MIB << 20
"""The longest line a stream may hold: a longer one is a data error, not a hang."""
NOTE_FORM_ENV = "MUSICPIPE_NOTE_FORM"


class DataError(Exception):
    """Bad input data: the message names the line and the field. Exit code 65."""

    exit_code = 65


class Aborted(DataError):
    """The input held an Abort: an upstream stage failed. ``event`` is that Abort line; a
    stage passes it on (cli.run_stage) and exits 65, a sink writes no file."""

    passed = False  # the stage already wrote the Abort out (viz passes bytes through)
    note = ""       # the stage's own line for stderr, if it has more to say

    def __init__(self, event: dict):
        self.event = event
        super().__init__(f"the stream ended in an Abort from {event['stage']}: {event['message']}")


_PAIR_KEYS = frozenset(("type", "t", "ch", "key", "vel"))

EARLY = PPQ // 8
"""How far (ticks) a NoteOff may come before its own NoteOn and still close it: a NoteOff with
no NoteOn open waits for the next NoteOn on its channel and key, which it ends at once if it
starts at most this much later (music-pipe-rs humanize moves both ends of a short note
independently, then sorts by time). Otherwise it is an orphan, dropped and counted."""


class Reader:
    """Validated events from a binary stream.

    NoteOn/NoteOff pairs become one Note when the NoteOff arrives; Seed lines after the first
    are dropped (layered streams each start with one). An Abort is held back: the other
    events pass, then the end of the input raises ``Aborted`` (a sink that decides for
    itself passes ``abort_raises=False`` and reads ``.abort``). ``warn`` receives one-line
    warnings.
    """

    def __init__(self, fp, *, warn: Callable[[str], None] | None = None,
                 before_wait: Callable[[], None] | None = None, dedupe_seeds: bool = True,
                 abort_raises: bool = True, typed: bool = False):
        self.fp = fp
        self.typed = typed
        self.abort_raises = abort_raises
        self.warn = warn or (lambda msg: None)
        self.before_wait = before_wait
        self.dedupe_seeds = dedupe_seeds
        self.seed: int | None = None
        self.abort: dict | None = None
        self.lineno = 0
        self.opened: dict[int, list[dict]] = {}  # channel << 7 | key -> open NoteOns, oldest first
        self.early: dict[int, dict] = {}         # the same -> a NoteOff that came before any NoteOn
        self._state_typed = False                # whether those hold Structs (else dicts)
        self._pairs_only = False                 # whether the last typed chunk held only pairs
        self.pair_t = 0                          # the latest tick a pair line had
        self.pair_typed: Callable[[list], list] | None = None
        """A sink's own pairing of a typed chunk with NoteOn/NoteOff lines (a list of
        Structs; it returns the batch), e.g. ``smf.Song.add_pairs``. None: they become
        Notes here."""
        self._orphan_offs = 0
        self._early_offs = 0

    def __iter__(self) -> Iterator[dict]:
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[dict]]:
        """Lists of events, one per chunk read; on bad data, the good events before it come
        first, then DataError."""
        try:
            yield from self._batches()
        except _Partial as p:
            if p.good:
                yield p.good
            raise p.error from None

    def _batches(self) -> Iterator[list[dict]]:
        # The partial line waits as a list of pieces, joined once its newline comes: a long
        # line costs linear time, and one past MAX_LINE stops the stage (/dev/zero ends).
        read = getattr(self.fp, "read1", None) or self.fp.read
        pieces: list[bytes] = []
        waiting = 0
        while True:
            if self.before_wait is not None:
                self.before_wait()
            data = read(CHUNK)
            if not data:
                break
            cut = data.rfind(b"\n")
            first_end = data.find(b"\n") if cut >= 0 else len(data)
            if waiting + first_end > MAX_LINE:
                raise DataError(f"line {self.lineno + 1}: longer than {MAX_LINE_MIB} MiB "
                                "(not a stream of events?)")
            if cut < 0:
                pieces.append(data)
                waiting += len(data)
                continue
            text = b"".join([*pieces, memoryview(data)[:cut]]) if pieces else data[:cut]
            pieces = [data[cut + 1:]]
            waiting = len(pieces[0])
            yield self._events(text)
        rest = b"".join(pieces)
        if rest.strip():
            yield self._events(rest)
        tail = self._close_open_notes()
        if tail:
            yield tail
        if self.abort is not None and self.abort_raises:
            raise Aborted(self.abort)

    def _events(self, text: bytes) -> list:
        """The events of a chunk of whole lines: Structs when the chunk allows (``typed``,
        from the second chunk on, so a short stream never imports msgspec), else dicts."""
        if self.typed and self.lineno:
            from . import structs

            typed = structs.decode(text, self._pairs_only)
            if typed is not None and self._state_to_structs():
                self.lineno += text.count(b"\n") + 1
                evs, kinds = typed
                self._pairs_only = kinds <= structs.PAIRS
                if kinds.isdisjoint(structs.PAIRS):  # nothing to pair: the list is the batch
                    return evs
                return self._paired(evs) if self.pair_typed is None else self.pair_typed(evs)
        return self._dict_events(text.split(b"\n"))

    def _dict_events(self, lines: list[bytes]) -> list[dict]:
        if self._state_typed:
            self._state_to_dicts()
        first = self.lineno + 1
        blob = b"[" + b",".join(lines) + b"]"
        if _long_digits(blob):  # rare: a number that may not fit 64 bits
            wide = _first_wide_int(lines)
            if wide is not None:
                k, shown = wide
                good = self._dict_events(lines[:k])
                self.lineno = first + k
                raise _Partial(good, DataError(
                    f"line {first + k}: the number {shown} does not fit in 64 bits"))
        self.lineno += len(lines)
        try:
            evs = _loads(blob)
        except orjson.JSONDecodeError:
            evs = None
        if evs is not None and len(evs) == len(lines):
            return self._checked(evs, range(first, first + len(evs)))
        # Blank or broken lines: parse one at a time to find them (and their numbers).
        parsed, numbers = [], []
        for n, line in enumerate(lines, first):
            if not line.strip():
                continue
            try:
                parsed.append(_loads(line))
            except orjson.JSONDecodeError as e:
                error = DataError(f"line {n}: invalid JSON ({e.msg}, column {e.colno})")
                raise _Partial(self._checked(parsed, numbers), error) from None
            numbers.append(n)
        return self._checked(parsed, numbers)

    def _checked(self, evs: list, numbers) -> list[dict]:
        """Check events (line ``numbers[i]`` holds ``evs[i]``); on an error, hand on the good
        ones before it, then raise."""
        out: list[dict] = []
        try:
            self.pair_t = check_batch(evs, self._special, out, self.opened, self.early, self.pair_t)
            return out
        except (KeyError, TypeError, EventError):
            pass
        for n, ev in zip(numbers, evs):  # find the first bad event: the good ones are in `out`
            if not isinstance(ev, dict):
                kinds = {list: "an array", str: "text", int: "a number", float: "a number",
                         bool: "a boolean", type(None): "null"}
                error = f"expected a JSON object, got {kinds.get(type(ev), type(ev).__name__)}"
                if isinstance(ev, int) and not isinstance(ev, bool):  # `seq 60 64 67` counting
                    error += ' (coreutils seq output? notes are one quoted argument: seq "60 64 67")'

            else:
                try:
                    check(ev)
                    continue
                except EventError as e:
                    error = str(e)
            raise _Partial(out, DataError(f"line {n}: {error}"))
        raise AssertionError("check_batch failed on events that all pass check()")

    def _special(self, typ: str, ev: dict, append) -> None:
        if typ == "Seed":
            if self.seed is None:
                self.seed = ev["seed"]
                append(ev)
            elif not self.dedupe_seeds:
                append(ev)
            elif ev["seed"] != self.seed:
                self.warn(f"Seed {ev['seed']} ignored: the stream's seed is {self.seed}")
        elif typ == "Abort":
            if self.abort is None:  # the first is the cause; later ones were passed on with it
                self.abort = ev
        elif typ in ("NoteOn", "NoteOff"):
            self.pair_rare(ev, ev["t"], ev["ch"] << 7 | ev["key"],
                           typ == "NoteOn" and ev["vel"] > 0, append)
        else:
            append(ev)

    def pair_rare(self, ev, t: int, k: int, opens: bool, append) -> None:
        """The rare cases of pairing, for dicts and Structs alike: a NoteOn on a key whose
        NoteOff came first (``opens``), a NoteOff with no NoteOn open, one closing a NoteOn
        with more fields to carry."""
        if opens:
            off_t = time_of(self.early.pop(k))
            if off_t >= t - EARLY:
                self._early_offs += 1
                append(note_of(ev, off_t))
            else:
                self._orphan_offs += 1
                self.opened.setdefault(k, []).append(ev)
            return
        waiting = self.opened.get(k)
        if waiting:
            append(note_of(waiting.pop(0), t))
        else:
            self._orphan_offs += k in self.early
            self.early[k] = ev  # a NoteOn may follow within EARLY ticks

    def _paired(self, evs: list) -> list:
        """A typed chunk with NoteOn/NoteOff pairs made Notes: ``check_batch``'s pairing,
        over Structs. (``smf.Song.add_pairs`` repeats its common case for to-midi, filing
        each pair with no Note made: keep the two in step.)"""
        from .structs import Note, NoteOff, NoteOn

        ons, early, pt = self.opened, self.early, self.pair_t
        out: list = []
        append = out.append
        for ev in evs:
            cls = ev.__class__
            if cls is NoteOff:
                t = ev.t
                if t > pt:
                    pt = t
                k = ev.ch << 7 | ev.key
                q = ons.get(k)
                if q:
                    on = q.pop(0)
                    start = on.t
                    append(Note(start, t - start if t > start else 1, on.ch, on.key, on.vel,
                                on.track))
                else:
                    self.pair_rare(ev, t, k, False, append)
            elif cls is NoteOn:
                t = ev.t
                if t > pt:
                    pt = t
                k = ev.ch << 7 | ev.key
                if ev.vel and (not early or k not in early):
                    q = ons.get(k)
                    if q is None:
                        ons[k] = [ev]
                    else:
                        q.append(ev)
                else:
                    self.pair_rare(ev, t, k, ev.vel > 0, append)
            else:
                append(ev)
        self.pair_t = pt
        return out

    def _state_to_structs(self) -> bool:
        """Make the open NoteOns and early NoteOffs Structs, if they all have one."""
        if self._state_typed:
            return True
        from .structs import as_struct

        opened = {k: [as_struct(ev) for ev in q] for k, q in self.opened.items()}
        early = {k: as_struct(ev) for k, ev in self.early.items()}
        if None in early.values() or any(None in q for q in opened.values()):
            return False  # one carries fields a Struct cannot: this chunk goes the dict way
        self.opened, self.early, self._state_typed = opened, early, True
        return True

    def _state_to_dicts(self) -> None:
        from .structs import as_dict

        self.opened = {k: [as_dict(ev) for ev in q] for k, q in self.opened.items()}
        self.early = {k: as_dict(ev) for k, ev in self.early.items()}
        self._state_typed = False

    def _close_open_notes(self) -> list[dict]:
        if self._state_typed:
            self._state_to_dicts()
        self._orphan_offs += len(self.early)
        self.early.clear()
        if self._early_offs:
            self.warn(f"{self._early_offs} NoteOff came up to {EARLY} ticks before their NoteOn "
                      "(music-pipe-rs humanize does that to short notes): paired, 1 tick long")
        if self._orphan_offs:
            self.warn(f"{self._orphan_offs} NoteOff without a NoteOn dropped")
        still = sorted((on for ons in self.opened.values() for on in ons), key=lambda e: e["t"])
        self.opened.clear()
        if still:
            self.warn(f"{len(still)} NoteOn without a NoteOff closed at tick {self.pair_t}")
        return [_note(on, self.pair_t) for on in still]


_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_NINETEEN = b"0" * 19


def _long_digits(data: bytes) -> bool:
    """Whether ``data`` holds a run of 19 digits: a translate and a substring search, about
    ten times faster than a regular expression over every line of the stream."""
    return _NINETEEN in data.translate(_DIGITS_AS_ZERO)


_INT_RANGE = (-(2**63), 2**64 - 1)


def _first_wide_int(lines: list[bytes]) -> tuple[int, str] | None:
    """(index, number) of the first line holding an integer outside 64 bits, which orjson
    would turn into a float: refused, since it could not come back out as it went in."""
    import json

    for k, line in enumerate(lines):
        if not _long_digits(line):
            continue
        try:
            value = json.loads(line)
        except ValueError:
            return None  # not JSON: the usual path names this line
        stack = [value]
        while stack:
            v = stack.pop()
            if v.__class__ is int and not _INT_RANGE[0] <= v <= _INT_RANGE[1]:
                s = str(v)
                return k, s if len(s) <= 24 else s[:21] + "..."
            if isinstance(v, dict):
                stack += v.values()
            elif isinstance(v, list):
                stack += v
    return None


def _note(on: dict, off_t: int) -> dict:
    note = {"type": "Note", "t": on["t"], "dur": max(1, off_t - on["t"]), "ch": on["ch"],
            "key": on["key"], "vel": on["vel"]}
    for k, v in on.items():
        if k not in _PAIR_KEYS:
            note[k] = v
    return note


def time_of(ev) -> int:
    """An event's ``t``, whether it is a dict or a Struct."""
    return ev["t"] if ev.__class__ is dict else ev.t


def note_of(on, off_t: int):
    """The Note a NoteOn makes, ending at ``off_t``, in the NoteOn's own form."""
    if on.__class__ is dict:
        return _note(on, off_t)
    from .structs import Note

    start = on.t
    return Note(start, max(1, off_t - start), on.ch, on.key, on.vel, on.track)


class _Partial(Exception):
    """Carries the events checked before a bad line, so none of them is lost."""

    def __init__(self, good: list[dict], error: DataError):
        self.good = good
        self.error = error


def read_events(fp, **kw) -> Iterator[dict]:
    """Iterate the validated events of a binary file object (for Python callers)."""
    return iter(Reader(fp, **kw))


def parse_lines(text: str | bytes) -> list[dict]:
    """All events of a JSONL text, validated and paired (handy in tests and notebooks)."""
    import io

    data = text.encode() if isinstance(text, str) else text
    return list(read_events(io.BytesIO(data)))


class Writer:
    """Buffered JSONL writer; ``sink`` takes the bytes (cli gives it a raw ``os.write`` loop).

    Events wait in a list and are serialised a batch at a time: one ``orjson.dumps`` of the
    list, split into lines at its ``},{`` separators when their count proves none of them is
    inside a value, else one ``dumps`` per event.

    ``pairs=True`` writes what music-pipe-rs stages read (``PAIR_TYPES``): each Note as a
    NoteOn/NoteOff pair, every tempo in whole bpm (a fractional one rounded, counted in
    ``rounded``), and every other event left out (counted by type in ``left_out``); by
    default the ``MUSICPIPE_NOTE_FORM`` environment variable decides (``pairs`` or ``note``).
    """

    def __init__(self, sink: Callable[[bytes], object], *, pairs: bool | None = None,
                 limit: int = 2048):
        self.sink = sink
        self.pending: list[dict] = []
        self.limit = limit
        if pairs is None:
            pairs = os.environ.get(NOTE_FORM_ENV, "note").strip().lower() == "pairs"
        self.pairs = pairs
        self.left_out: dict[str, int] = {}
        self.rounded = 0

    def write(self, ev: dict) -> None:
        if not self.pairs:
            self.pending.append(ev)
        else:
            if ev.__class__ is not dict:
                ev = dicts([ev])[0]
            typ = ev.get("type")
            if typ == "Note":
                self.pending += (_pair_on(ev), _pair_off(ev))
            elif typ == "Tempo" and ev["bpm"].__class__ is not int:
                bpm = int(ev["bpm"] + 0.5)
                self.rounded += bpm != ev["bpm"]
                self.pending.append({**ev, "bpm": bpm})
            elif typ in PAIR_TYPES:
                self.pending.append(ev)
            else:
                self.left_out[typ] = self.left_out.get(typ, 0) + 1
        if len(self.pending) >= self.limit:
            self.flush()

    def _write_typed_pairs(self, batch: list) -> None:
        """A typed batch in the pair form: each run of Notes becomes its NoteOn and NoteOff
        Structs, made by C loops (``map``) over the run and encoded at once; other events
        go one by one."""
        from .structs import Note

        if set(map(type, batch)) == {Note}:
            self._write_note_pairs(batch)
            return
        for cls, run in groupby(batch, key=type):
            if cls is Note:
                self._write_note_pairs(list(run))
            else:
                for ev in run:
                    self.write(ev)

    def _write_note_pairs(self, run: list) -> None:
        from .structs import NoteOff, NoteOn, encode_lines

        t, ch, key = list(map(_T, run)), list(map(_CH, run)), list(map(_KEY, run))
        off = list(map(add, t, map(_DUR, run)))
        if max(off) > MAX_TICK:
            off = [min(x, MAX_TICK) for x in off]
        lines = [None] * (2 * len(run))
        lines[0::2] = map(NoteOn, t, ch, key, map(_VEL, run))
        lines[1::2] = map(NoteOff, off, ch, key, repeat(0))
        self.flush()
        self.sink(encode_lines(lines))

    def pair_summary(self) -> str | None:
        """One line on what the pair form changed, or None: what a stage says on stderr."""
        said = []
        if self.left_out:
            kinds = ", ".join(f"{n} {typ}" for typ, n in sorted(self.left_out.items(), key=str))
            said.append(f"pair form: left out {kinds} (music-pipe-rs reads only "
                        f"{', '.join(PAIR_TYPES)})")
        if self.rounded:
            said.append(f"{'pair form: ' if not said else ''}{self.rounded} fractional "
                        f"tempo{'s' if self.rounded > 1 else ''} rounded to whole bpm")
        return "; ".join(said) or None

    def write_all(self, events) -> None:
        """Write an iterable of events (the stage hot loop lives here)."""
        if self.pairs:
            for ev in events:
                self.write(ev)
            return
        # extend() from islice keeps the per-event loop in C. The input may flush this writer
        # while extend() runs (the reader's before_wait), so a short batch does not mean the
        # events are used up: a sentinel after the last event does.
        pending = self.pending
        events = chain(events, _DONE)
        while True:
            pending.extend(islice(events, self.limit - len(pending)))
            if pending and pending[-1] is _DONE[0]:
                pending.pop()
                return
            if len(pending) >= self.limit:
                self.flush()

    def write_batches(self, batches: Iterable[list[dict]]) -> None:
        """Write lists of events (a stage working on its reader's batches)."""
        if self.pairs:
            for batch in batches:
                if is_typed(batch):
                    self._write_typed_pairs(batch)
                else:
                    for ev in batch:
                        self.write(ev)
            return
        pending = self.pending
        for batch in batches:
            pending += batch
            if len(pending) >= self.limit:
                self.flush()

    def flush(self) -> None:
        if self.pending:
            data = encode(self.pending)
            self.pending.clear()
            self.sink(data)


_DONE = (object(),)
PAIR_TYPES = ("Seed", "Tempo", "ProgramChange", "NoteOn", "NoteOff", "End")
"""The event types music-pipe-rs stages read: all that the pair form writes."""


def encode(events: list) -> bytes:
    """JSON Lines bytes for a list of events: dicts, Structs (a typed reader's), or both."""
    kinds = set(map(type, events))
    if dict not in kinds:
        from .structs import encode_lines

        return encode_lines(events)
    if len(kinds) > 1:  # msgspec writes some floats unlike orjson: one writer for the list
        events = dicts(events)
    data = _dumps(events)
    if data.count(b"},{") == len(events) - 1:
        return data[1:-1].replace(b"},{", b"}\n{") + b"\n"
    return b"".join([_dumps(ev, option=_NL) for ev in events])


def is_typed(batch: list) -> bool:
    """Whether a reader's batch holds Structs (else dicts: a batch is never mixed)."""
    return bool(batch) and batch[0].__class__ is not dict


def dicts(events: list) -> list[dict]:
    """A batch as dicts (a typed reader's Structs converted), for code that reads dicts."""
    if all(ev.__class__ is dict for ev in events):
        return events
    from .structs import as_dict

    return [ev if ev.__class__ is dict else as_dict(ev) for ev in events]


_T, _DUR, _CH, _KEY, _VEL = map(attrgetter, ("t", "dur", "ch", "key", "vel"))


def _pair_on(ev: dict) -> dict:
    return {"type": "NoteOn", "t": ev["t"], "ch": ev["ch"], "key": ev["key"], "vel": ev["vel"]}


def _pair_off(ev: dict) -> dict:
    """The Note's end; one that would fall past the stream's last tick ends on it."""
    return {"type": "NoteOff", "t": min(ev["t"] + ev["dur"], MAX_TICK), "ch": ev["ch"],
            "key": ev["key"], "vel": 0}
