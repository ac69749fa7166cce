#!/usr/bin/env bash
# Melody, bass and drums layered with { ...; }, shaped by transforms, to MIDI and WAV.
# Run from the repository root: examples/layers.sh [OUT]   (default: layers -> layers.mid/.wav)
set -euo pipefail
out="${1:-layers}"
{
  seed 11 | motif --bars 4 --root A --mode minor --patch vibraphone --name Vibes --bpm 92
  seq --file "$(dirname "$0")/bassline.txt" --ch 1 --patch fretless-bass --repeat 2
  euclid --pulses 4 --steps 16 --note kick --repeat 4
  euclid --pulses 2 --steps 16 --rotation 4 --note snare --repeat 4
} | scale --key Am | humanize --timing 8 --velocity 6 | viz | tee "$out.jsonl" | to-midi --out "$out.mid"
to-wav --out "$out.wav" --normalize < "$out.jsonl"
