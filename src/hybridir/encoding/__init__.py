"""Encoding and scoring: texts -> embeddings (cached) -> query-by-candidate score blocks."""
