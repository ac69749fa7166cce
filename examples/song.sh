#!/usr/bin/env bash
# A verse-chorus song assembled in pipes: each section written on its own (chords, bass and
# a melody that follows them), named with `section`, then put end to end with `concat`.
# Run from the repository root: examples/song.sh [OUT]   (default: song -> song.mid)
set -euo pipefail
out="${1:-song}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
part() {  # part NAME PROGRESSION SEED [motif options...]: one section of the song
  local name=$1 chords=$2 seed=$3; shift 3
  chords "$chords" --key G --style block --patch piano --name Piano --vel 64 --bpm 100 \
    | bass --style root-fifth --patch acoustic-bass --name Bass --seed "$seed" \
    | motif --root G --base G4 --range 12 --patch flute --name Flute --seed "$seed" "$@" \
    | section "$name" > "$dir/$name.jsonl"
}
part intro "I IV" 1 --bars 2 --rest-prob 0.3
part verse "I vi IV V" 2 --bars 4
part chorus "IV V I I" 3 --bars 4 --cadence
concat "$dir/intro.jsonl" "$dir/verse.jsonl" "$dir/chorus.jsonl" "$dir/verse.jsonl" \
    "$dir/chorus.jsonl" | humanize | to-midi --out "$out.mid"
