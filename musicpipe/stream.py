"""Streaming JSON Lines in and out: validated, line-numbered, NoteOn/NoteOff paired.

The reader takes whatever the pipe has (``read1``), so a stage sees events as soon as they
arrive and memory stays constant; it parses each chunk's lines with one ``orjson.loads`` call
and checks them with the table's compiled checkers. The writer keeps its own buffer and
writes to the file descriptor itself, so output is fast even with ``PYTHONUNBUFFERED=1``, and
it is flushed whenever the reader is about to wait for more input, so a slow producer never
leaves finished events stuck in a buffer.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice

import orjson

from .events import EventError, check, check_batch

_loads = orjson.loads
_dumps = orjson.dumps
_NL = orjson.OPT_APPEND_NEWLINE

CHUNK = 1 << 16
NOTE_FORM_ENV = "MUSICPIPE_NOTE_FORM"


class DataError(Exception):
    """Bad input data: the message names the line and the field. Exit code 65."""

    exit_code = 65


_PAIR_KEYS = frozenset(("type", "t", "ch", "key", "vel"))


class Reader:
    """Validated events from a binary stream.

    NoteOn/NoteOff pairs become one Note when the NoteOff arrives; Seed lines after the first
    are dropped (layered streams each start with one). ``warn`` receives one-line warnings.
    """

    def __init__(self, fp, *, warn: Callable[[str], None] | None = None,
                 before_wait: Callable[[], None] | None = None, dedupe_seeds: bool = True):
        self.fp = fp
        self.warn = warn or (lambda msg: None)
        self.before_wait = before_wait
        self.dedupe_seeds = dedupe_seeds
        self.seed: int | None = None
        self.lineno = 0
        self._open: dict[tuple[int, int], list[dict]] = {}
        self._pair_t = 0
        self._orphan_offs = 0

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
        read = getattr(self.fp, "read1", None) or self.fp.read
        rest = b""
        while True:
            if self.before_wait is not None:
                self.before_wait()
            data = read(CHUNK)
            if not data:
                break
            lines = (rest + data).split(b"\n")
            rest = lines.pop()
            if lines:
                yield self._events(lines)
        if rest.strip():
            yield self._events([rest])
        tail = self._close_open_notes()
        if tail:
            yield tail

    def _events(self, lines: list[bytes]) -> list[dict]:
        first = self.lineno + 1
        self.lineno += len(lines)
        try:
            evs = _loads(b"[" + b",".join(lines) + b"]")
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
            return check_batch(evs, self._special, out)
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
        elif typ == "NoteOn" and ev["vel"] > 0:
            self._pair_t = max(self._pair_t, ev["t"])
            self._open.setdefault((ev["ch"], ev["key"]), []).append(ev)
        elif typ in ("NoteOn", "NoteOff"):
            self._pair_t = max(self._pair_t, ev["t"])
            waiting = self._open.get((ev["ch"], ev["key"]))
            if waiting:
                append(_note(waiting.pop(0), ev["t"]))
            else:
                self._orphan_offs += 1
        else:
            append(ev)

    def _close_open_notes(self) -> list[dict]:
        if self._orphan_offs:
            self.warn(f"{self._orphan_offs} NoteOff without a NoteOn dropped")
        still = sorted((on for ons in self._open.values() for on in ons), key=lambda e: e["t"])
        self._open.clear()
        if still:
            self.warn(f"{len(still)} NoteOn without a NoteOff closed at tick {self._pair_t}")
        return [_note(on, self._pair_t) for on in still]


def _note(on: dict, off_t: int) -> dict:
    note = {"type": "Note", "t": on["t"], "dur": max(1, off_t - on["t"]), "ch": on["ch"],
            "key": on["key"], "vel": on["vel"]}
    for k, v in on.items():
        if k not in _PAIR_KEYS:
            note[k] = v
    return note


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


def encode(events: list[dict]) -> bytes:
    """JSON Lines bytes for a list of events."""
    data = _dumps(events)
    if data.count(b"},{") == len(events) - 1:
        return data[1:-1].replace(b"},{", b"}\n{") + b"\n"
    return b"".join([_dumps(ev, option=_NL) for ev in events])


def _pair_on(ev: dict) -> dict:
    return {"type": "NoteOn", "t": ev["t"], "ch": ev["ch"], "key": ev["key"], "vel": ev["vel"]}


def _pair_off(ev: dict) -> dict:
    return {"type": "NoteOff", "t": ev["t"] + ev["dur"], "ch": ev["ch"], "key": ev["key"], "vel": 0}
