"""The MIDI reader musicpipe had before ``smfread``: mido messages, all in memory.

Kept as the reference the new reader is checked against, event for event, on real files
and fuzzed ones (tests/test_smfread.py). Not part of the package: nothing else imports it.

One mido bug is mended here: it gives a meta event of a type it does not know (0x08,
program name, among others) no delta time, so everything after one in its track came
early. The new reader keeps the delta, as the SMF specification says.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable

from musicpipe.events import MAX_TICK, PPQ
from musicpipe.midi import MAX_FILE, MidiFileError, _read_bounded


def _ignore(msg: str) -> None:
    pass


def midi_to_events(source, *, warn: Callable[[str], None] | None = None) -> list[dict]:
    """The stream of a MIDI file (a path, a binary file object or bytes), at 480 PPQ.

    Times are rescaled to the nearest 480th of a quarter note (halves round up); a note
    keeps at least one tick. Events come in time order; on the same tick Tempo, TimeSig,
    Marker, ProgramChange, ControlChange, Note, and End last. ``warn`` receives one-line
    notes (clipped data bytes, dropped messages). Raises MidiFileError for a file that is
    not MIDI, truncated or corrupt.
    """
    warn = warn or _ignore
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            data = _read_bounded(f)
    else:
        data = _read_bounded(source)
    if len(data) > MAX_FILE:
        raise MidiFileError(f"larger than {MAX_FILE >> 20} MiB: not a MIDI file this reads")
    from mido.midifiles import midifiles

    original = midifiles.build_meta_message
    midifiles.build_meta_message = _meta_with_time
    try:
        midi = _load(data, warn)
    finally:
        midifiles.build_meta_message = original
    return _file_events(midi, warn)


def _load(data: bytes, warn):
    import mido

    if data[:4] == b"RIFF" and data[8:12] == b"RMID":  # RIFF-wrapped MIDI (.rmi)
        data = data[max(0, data.find(b"MThd")):]
    if data[:4] != b"MThd":
        raise MidiFileError("not a MIDI file (it does not start with MThd)")
    _check_chunks(data)
    for clip in (False, True):
        try:
            midi = mido.MidiFile(file=io.BytesIO(data), clip=clip, charset="latin1")
        except EOFError:
            raise MidiFileError("truncated MIDI file: it ends inside a message") from None
        except OSError as e:
            if not clip and "data byte" in str(e):
                continue
            raise MidiFileError(f"corrupt MIDI file: {e}") from None
        except (MemoryError, RecursionError):
            raise
        except Exception as e:  # mido's own errors (KeySignatureError ...) on hostile bytes
            raise MidiFileError(f"corrupt MIDI file: bad event ({type(e).__name__}: {e})") from None
        if clip:
            warn("data bytes above 127 clipped to 127 (the file breaks the MIDI standard)")
        return midi
    raise AssertionError("unreachable: the clipping read raises or returns")


def _meta_with_time(meta_type, data, delta=0):
    from mido.midifiles.meta import build_meta_message

    msg = build_meta_message(meta_type, data, delta)
    msg.time = delta
    return msg


def _check_chunks(data: bytes) -> None:
    """Report a truncated file by which track is cut short, before parsing any message."""
    import struct

    if len(data) < 14:
        raise MidiFileError("truncated MIDI file: the header is incomplete")
    size, = struct.unpack(">L", data[4:8])
    _, count, _ = struct.unpack(">hhh", data[8:14])
    pos = 8 + size
    for n in range(1, count + 1):
        if pos + 8 > len(data):
            raise MidiFileError(f"truncated MIDI file: track {n} of {count} is missing")
        size, = struct.unpack(">L", data[pos + 4:pos + 8])
        if pos + 8 + size > len(data):
            raise MidiFileError(f"truncated MIDI file: track {n} of {count} is cut short "
                                f"({len(data) - pos - 8} of {size} bytes)")
        pos += 8 + size


def _text(s: str) -> str:
    """Meta text is read as Latin-1 (never fails); most files in the wild are UTF-8."""
    raw = s.encode("latin1")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return s


def _file_events(midi, warn) -> list[dict]:
    division = midi.ticks_per_beat
    if division < 0:  # SMPTE: frames per second and ticks per frame, no tempo
        fps, per_frame = -(division >> 8), division & 0xFF
        fps = 29.97 if fps == 29 else fps
        ticks_per_second = fps * per_frame
        if ticks_per_second <= 0:
            raise MidiFileError(f"corrupt MIDI file: SMPTE time division of {fps} frames a "
                                f"second, {per_frame} ticks a frame")
        warn("SMPTE time division: times converted at a fixed 120 bpm")

        def scale(t: int) -> int:
            return int(t * 2 * PPQ / ticks_per_second + 0.5)
    elif division == 0:
        raise MidiFileError("corrupt MIDI file: 0 ticks per quarter note")
    else:
        def scale(t: int) -> int:
            return (t * PPQ * 2 + division) // (2 * division)

    out: list[tuple] = []
    if division < 0:
        out.append((0, 0, {"type": "Tempo", "t": 0, "bpm": 120}))
    tags = _shared_channel_tracks(midi)
    dropped: dict[str, int] = {}
    stats = {"orphan": 0, "open": 0, "tempo": 0, "sig": 0}
    end = 0
    for n, track in enumerate(midi.tracks):
        end = max(end, _track_events(track, scale, midi.type != 0, out, dropped, stats,
                                     smpte=division < 0, tag=tags.get(n)))
    out.sort(key=lambda item: (item[0], item[1]))
    events = [ev for t, _, ev in out if t <= MAX_TICK]
    if len(events) < len(out):
        stats["late"] = len(out) - len(events)
    for ev in events:
        if ev.get("dur", 0) > MAX_TICK:
            ev["dur"] = MAX_TICK
    events.append({"type": "End", "t": min(end, MAX_TICK)})
    _warn_stats(warn, dropped, stats)
    return events


def _shared_channel_tracks(midi) -> dict[int, str]:
    """Track number -> track name, for the tracks of a type 1 file that share a channel with
    another track: their events carry that name as ``track``, so they stay apart."""
    if midi.type != 1:
        return {}
    channels: dict[int, set[int]] = {}
    names: dict[int, str] = {}
    for n, track in enumerate(midi.tracks):
        for msg in track:
            if hasattr(msg, "channel"):
                channels.setdefault(n, set()).add(msg.channel)
            elif msg.type == "track_name" and n not in names:
                names[n] = _text(msg.name).strip()
    users: dict[int, int] = {}
    for chans in channels.values():
        for ch in chans:
            users[ch] = users.get(ch, 0) + 1
    shared = [n for n, chans in channels.items() if any(users[ch] > 1 for ch in chans)]
    labels = {n: names.get(n) or f"Track {n}" for n in shared}
    seen: dict[str, int] = {}
    for n in shared:  # two tracks of one name: "Piano", "Piano 2"
        seen[labels[n]] = seen.get(labels[n], 0) + 1
        if seen[labels[n]] > 1:
            labels[n] += f" {seen[labels[n]]}"
    return labels


def _track_events(track, scale, names: bool, out: list, dropped: dict, stats: dict,
                  smpte: bool, tag: str | None = None) -> int:
    """Append one track's events to ``out`` as (t, rank, event); return its end tick. With a
    ``tag`` (a track sharing its channel), every channel event carries it as ``track``."""
    tick = 0
    open_notes: dict[tuple[int, int], list[tuple[int, int]]] = {}
    channels: set[int] = set()
    name = None
    first = len(out)
    for msg in track:
        tick += msg.time
        typ = msg.type
        if typ == "note_on" and msg.velocity > 0:
            channels.add(msg.channel)
            open_notes.setdefault((msg.channel, msg.note), []).append((tick, msg.velocity))
        elif typ == "note_off" or typ == "note_on":
            waiting = open_notes.get((msg.channel, msg.note))
            if waiting:
                _add_note(out, scale, msg.channel, msg.note, *waiting.pop(0), tick)
            else:
                stats["orphan"] += 1
        elif typ == "program_change":
            channels.add(msg.channel)
            out.append((scale(tick), 3, {"type": "ProgramChange", "t": scale(tick),
                                         "ch": msg.channel, "program": msg.program}))
        elif typ == "control_change":
            channels.add(msg.channel)
            out.append((scale(tick), 4, {"type": "ControlChange", "t": scale(tick),
                                         "ch": msg.channel, "cc": msg.control, "value": msg.value}))
        elif typ == "pitchwheel":
            channels.add(msg.channel)
            out.append((scale(tick), 4, {"type": "PitchBend", "t": scale(tick), "ch": msg.channel,
                                         "value": msg.pitch}))
        elif typ == "aftertouch":
            channels.add(msg.channel)
            out.append((scale(tick), 4, {"type": "ChannelPressure", "t": scale(tick),
                                         "ch": msg.channel, "value": msg.value}))
        elif typ == "set_tempo":
            if smpte:
                continue
            if msg.tempo == 0:
                stats["tempo"] += 1
                continue
            bpm = round(60_000_000 / msg.tempo, 2)
            if not 4 <= bpm <= 1000:
                stats["tempo"] += 1
                bpm = min(1000, max(4, bpm))
            out.append((scale(tick), 0, {"type": "Tempo", "t": scale(tick),
                                         "bpm": int(bpm) if bpm == int(bpm) else bpm}))
        elif typ == "time_signature":
            if 1 <= msg.numerator <= 64 and msg.denominator <= 64:
                out.append((scale(tick), 1, {"type": "TimeSig", "t": scale(tick),
                                             "num": msg.numerator, "den": msg.denominator}))
            else:
                stats["sig"] += 1
        elif typ == "key_signature":
            minor = msg.key.endswith("m")
            out.append((scale(tick), 1, {"type": "KeySig", "t": scale(tick),
                                         "key": msg.key.removesuffix("m"),
                                         "mode": "minor" if minor else "major"}))
        elif typ == "marker":
            out.append((scale(tick), 2, {"type": "Marker", "t": scale(tick), "text": _text(msg.text)}))
        elif typ == "track_name":
            if name is None:
                name = (tick, _text(msg.name))
        elif not msg.is_meta:
            dropped[typ] = dropped.get(typ, 0) + 1
    for (ch, key), waiting in open_notes.items():
        for on, vel in waiting:
            stats["open"] += 1
            _add_note(out, scale, ch, key, on, vel, tick)
    if tag is not None:
        for _, _, ev in out[first:]:
            if "ch" in ev:
                ev["track"] = tag
    if names and name is not None and len(channels) == 1:
        # A track's name names its channel; conductor and mixed-channel tracks' names
        # (usually the song title) have no stream form.
        t = scale(name[0])
        marker = {"type": "Marker", "t": t, "text": name[1], "ch": channels.pop()}
        if tag is not None:
            marker["track"] = tag
        out.insert(first, (t, 2, marker))
    return scale(tick)


def _add_note(out: list, scale, ch: int, key: int, on: int, vel: int, off: int) -> None:
    t = scale(on)
    out.append((t, 5, {"type": "Note", "t": t, "dur": max(1, scale(off) - t), "ch": ch,
                       "key": key, "vel": vel}))


def _warn_stats(warn, dropped: dict, stats: dict) -> None:
    if stats["orphan"]:
        warn(f"{stats['orphan']} note-offs without a note-on ignored")
    if stats["open"]:
        warn(f"{stats['open']} notes still sounding at the end of their track closed there")
    if stats["tempo"]:
        warn(f"{stats['tempo']} tempos outside 4..1000 bpm clipped (or 0, dropped)")
    if stats["sig"]:
        warn(f"{stats['sig']} time signatures outside 1..64 beats of 1..64 dropped")
    if stats.get("late"):
        warn(f"{stats['late']} events past tick {MAX_TICK} (the stream's limit) dropped")
    if dropped:
        kinds = ", ".join(f"{n} {typ.replace('_', ' ')}" for typ, n in sorted(dropped.items()))
        warn(f"dropped {kinds} (no stream form)")
