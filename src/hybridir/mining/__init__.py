"""Hard-negative mining for parallel training data (``hybridir mine``).

- :mod:`~hybridir.mining.pool`: question rows and per-language passage pools with their ids and groups;
- :mod:`~hybridir.mining.miner`: sentence-transformers' ``mine_hard_negatives`` over any scorer, with
  the id, group and cross-lingual false-negative guards;
- :mod:`~hybridir.mining.report`: counts, scores and margins per language, as JSON and Markdown.

It sits beside models/encoding in the layers: it uses data and the scorer protocol only.
"""
