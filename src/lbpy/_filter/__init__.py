"""LoopBack's filter language: parsing a filter against a model into canonical form, evaluating
it in Python, and dividing it between a connector and Python. The names below are the package's
interface; the modules hold one concern each.
"""

from ._canonical import ParsedWhere, conjunction, where_to_json
from ._capabilities import ALL_CAPABILITIES, Capabilities, split_filter, where_supported
from ._evaluate import (
    _MISSING,
    _TESTS,
    apply_filter,
    compile_where,
    like_search,
    regexp_search,
    sort_key,
    sort_records,
)
from ._parse import load_json_param, parse_filter, parse_where
from ._query import parse_query
from ._types import EMPTY, Filter, FilterError, Include

__all__ = [
    "ALL_CAPABILITIES",
    "EMPTY",
    "_MISSING",
    "_TESTS",
    "Capabilities",
    "Filter",
    "FilterError",
    "Include",
    "ParsedWhere",
    "apply_filter",
    "compile_where",
    "conjunction",
    "like_search",
    "load_json_param",
    "parse_filter",
    "parse_query",
    "parse_where",
    "regexp_search",
    "sort_key",
    "sort_records",
    "split_filter",
    "where_supported",
    "where_to_json",
]
