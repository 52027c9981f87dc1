"""Reports: run-folder outputs (JSON, JSONL, Markdown, heatmap) and terminal summaries."""
