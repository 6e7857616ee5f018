"""Analysis of one cleaned client track: view, exercise, reps, knee tracking, hip control, side-view metrics.

One module per concern; `analyse.analyse(track, settings)` runs them in order and returns an `Analysis`.
"""
