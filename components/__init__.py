"""Reusable UI pieces: each draws one part of a page and calls `scoring` for the work."""
