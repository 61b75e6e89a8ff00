"""Search: ``Searcher`` fuses vector and keyword candidates, ranking orders and explains them, and the
re-ranker gives the second pass."""
