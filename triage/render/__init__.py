"""Renderers: each is a function of a Report alone (a saved report.json re-renders without the
drop or the index)."""
