"""One module per stage: pure functions over events plus a thin click command (``main``)."""
