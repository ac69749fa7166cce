"""Transforms: streaming functions from events to events (transpose, scale, humanize, ...).

Kept free of imports so that a stage loads only the transform it runs.
"""
