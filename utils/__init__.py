"""Shared code for the GRU course."""
