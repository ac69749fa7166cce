#!/usr/bin/env bash
# A layered drum kit: three Euclidean rhythms on channel 9 become one drum track.
# Run from anywhere: examples/drumkit.sh [OUT.mid]   (default: drumkit.mid)
set -euo pipefail
{
  euclid --pulses 4 --steps 16 --note kick --repeat 4 --bpm 96
  euclid --pulses 3 --steps 8 --note snare --rotation 2 --repeat 8 --accent 12
  euclid --pulses 7 --steps 16 --note closed-hat --repeat 4 --vel 64 --ghost 0.3 --seed 3
  euclid --pulses 5 --steps 16 --note cowbell --rotation 3 --repeat 4 --vel 50
} | to-midi --out "${1:-drumkit.mid}"
