"""The corpus: organisations, their documents, and problems found while reading them."""

from policyaudit.corpus.discover import (
    Corpus,
    CorpusFile,
    CorpusNotFoundError,
    Organisation,
    Problem,
    discover,
)

__all__ = ["Corpus", "CorpusFile", "CorpusNotFoundError", "Organisation", "Problem", "discover"]
