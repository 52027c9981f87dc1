"""Experiment grids: train every (strategy, alpha, seed, direction, data variant) cell, evaluate it,
and compare the cells with seed spread and paired significance tests.

- :mod:`~hybridir.experiments.config`: the YAML experiment file and its expansion into cells;
- :mod:`~hybridir.experiments.subsets`: the reduced training (imbalance) and evaluation data;
- :mod:`~hybridir.experiments.runner`: the resumable grid runner (``hybridir experiment``);
- :mod:`~hybridir.experiments.status`: ``cells.jsonl``, the runner's stage history (cost is read from it);
- :mod:`~hybridir.experiments.queries` and :mod:`~hybridir.experiments.significance`: per-query
  values and the paired randomization test with Holm's correction;
- :mod:`~hybridir.experiments.records` and :mod:`~hybridir.experiments.summary`: the typed rows
  and the summary that aggregation hands to the figures and the report (and summary.json holds);
- :mod:`~hybridir.experiments.aggregate`, :mod:`~hybridir.experiments.figures` and
  :mod:`~hybridir.experiments.report`: summary.json, figures and report.md.
"""
