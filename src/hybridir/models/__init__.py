"""Models: the offline multilingual-e5-small build, baselines (BM25, USE) and name -> scorer lookup."""
