"""Helpers for the book tests: locate or build the site, read the toc, serve it locally."""
