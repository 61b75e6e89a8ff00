"""Search: ``Searcher`` fuses vector and keyword candidates, ranking orders and explains them, and the
re-ranker gives the second pass."""

# The ways a search can rank: here, so that a front end can name them without importing the searcher (numpy,
# the catalog): the command line's fast path to the resident search process (resident.py) imports almost nothing.
MODES = ("hybrid", "vector", "keyword")
