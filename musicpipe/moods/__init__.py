"""Mood presets: TOML packs (packs.py) turned into multi-layer arrangements (arrange.py)."""
