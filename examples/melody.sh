#!/usr/bin/env bash
# A tune written out in seq notation (melody, chords, bass), every bar checked, to MIDI.
# Run from the repository root: examples/melody.sh [OUT]   (default: melody -> melody.mid)
set -euo pipefail
out="${1:-melody}"
{
  seq --bpm 112 --patch flute --name Melody --check-bars \
    "E4/4 E4 F4 G4 | G4 F4 E4 D4 | C4 C4 D4 E4 | E4/4. D4/8 D4/2 |" \
    "E4/4 E4 F4 G4 | G4 F4 E4 D4 | C4 C4 D4 E4 | D4/4. C4/8 C4/2"
  seq --ch 1 --patch strings --name Chords --vel 60 --check-bars \
    "[C4,E4,G4]/1 | [B3,D4,G4] | [C4,E4,G4] | [B3,D4,G4] |" \
    "[C4,E4,G4] | [B3,D4,F4,G4] | [A3,C4,E4] | [B3,D4,G4]/2 [C4,E4,G4]/2"
  seq --ch 2 --patch acoustic-bass --name Bass --vel 80 --check-bars \
    "C3/4 R G2 R | G2 R D3 R | C3 R E3 R | G2/2~G2/8 D3/8 B2/8 G2/8 |" \
    "C3/4 R G2 R | G2 R D3 R | A2 R E2 R | G2/8t A2 B2 C3/4 R/2"
} | to-midi --out "$out.mid"
