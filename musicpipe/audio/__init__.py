"""The audio room: FluidSynth rendering, loudness, the limiter, the file formats, and the
mix as MIDI controllers. numpy, soundfile and pyfluidsynth are imported only when audio is
made, so the stream stages never pay for them.

The audio path does no linear algebra, so OpenBLAS (loaded with numpy) is asked for one
thread unless the environment says otherwise: starting its thread pool cost a render
0.08 s of CPU (set here, before any numpy import of this room; a process that imported
numpy already keeps what it has)."""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
