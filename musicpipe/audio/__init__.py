"""The audio room: FluidSynth rendering, loudness, the limiter, the file formats, and the
mix as MIDI controllers. numpy, soundfile and pyfluidsynth are imported only when audio is
made, so the stream stages never pay for them."""
