"""The piece's plan, made from the seed and the mood's name before a note is written: its
style, its form (sections that contrast and return), the chords of every bar and the melody.
Nothing here depends on the key, the tempo or the intensity, so those knobs keep the piece.
"""
