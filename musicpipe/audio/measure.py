"""A rendered file's levels, read a block at a time (any format soundfile reads): the
integrated loudness, the true peak, and the loudness of its last second against its
loudest second, in constant memory whatever the file's length."""

from __future__ import annotations

import math

from .loudness import Meter, PeakMeter, integrated

READ = 1 << 16   # frames read at a time


def file_levels(source) -> dict:
    """The figures of ``source`` (a path or a binary file object): None where there is no
    measurement (silence, under 400 ms). ValueError for samples that are not numbers (NaN,
    infinity: a float WAV can hold them), and soundfile's errors for a file it cannot read."""
    import numpy as np
    import soundfile

    with soundfile.SoundFile(source) as f:
        rate, channels = f.samplerate, f.channels
        whole, peak = Meter(rate, channels), PeakMeter(channels)
        second, seconds = Meter(rate, channels), []  # whole seconds from the start
        in_second, last = 0, np.zeros((0, channels), dtype="float32")
        done = 0
        while True:
            block = f.read(READ, dtype="float32", always_2d=True)
            if not np.isfinite(block).all():
                at = done + int(np.flatnonzero(~np.isfinite(block).all(axis=1))[0])
                raise ValueError(f"frame {at} holds a sample that is not a number (NaN or "
                                "infinite): no loudness can be measured")
            peak.push(block, last=len(block) < READ)
            if not len(block):
                break
            whole.push(block)
            done += len(block)
            last = np.concatenate((last, block))[-rate:]
            while len(block):
                take = min(len(block), rate - in_second)
                second.push(block[:take])
                in_second += take
                block = block[take:]
                if in_second == rate:
                    seconds.append(second.lufs())
                    second, in_second = Meter(rate, channels), 0
    finite = [x for x in seconds if math.isfinite(x)]
    tail = integrated(last, rate) if len(last) >= rate else -math.inf
    return {"integrated_lufs": _db(whole.lufs()), "true_peak_dbtp": _db(peak.dbtp()),
            "last_second_lufs": _db(tail), "loudest_second_lufs": _db(max(finite)) if finite else None}


def _db(x: float) -> float | None:
    return round(float(x), 2) if math.isfinite(x) else None
