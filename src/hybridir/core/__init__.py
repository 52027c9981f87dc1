"""The bottom layer: helpers every other layer may import, and that import nothing above them.

- :mod:`hybridir.core.paths`: the user cache root and whether the Hugging Face hub is switched off.
- :mod:`hybridir.core.process`: this process's rank and the number of processes.
- :mod:`hybridir.core.files`: atomic writes of text, JSON, bytes, streams and whole folders.
- :mod:`hybridir.core.unionfind`: disjoint sets, for grouping things linked by shared ids.
"""
