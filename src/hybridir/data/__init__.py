"""Data: benchmark readers, parallel training examples, and where data lives on disk."""
