"""Item standards (事项标准): model, loading, Chinese analysis, search backends, rendering.

    >>> from index.backends import open_backend
    >>> from index.search import Searcher
    >>> Searcher(open_backend()).search("南海办暂住证要带什么").groups[0].name
    '居住证申领'
"""
