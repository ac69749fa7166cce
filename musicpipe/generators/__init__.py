"""Generators: pure functions that write a part from tick 0 (motif, euclid, seq) and place it.

Kept free of imports so that a stage loads only the generator it runs.
"""
