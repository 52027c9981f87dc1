"""Disjoint sets of string nodes (with path halving), for grouping things linked by shared ids.

Written by hand: a dozen lines, and no library of the field offers it without a graph package.
"""

from __future__ import annotations


class UnionFind:
    """Disjoint sets of string nodes, for grouping things linked by shared ids."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)
