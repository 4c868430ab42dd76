"""From raw landmarks to a clean track: the view, left/right swap repair, gap filling and smoothing."""
