"""LoopBack's filter language: parsing a filter against a model into canonical form, evaluating
it in Python, and dividing it between a connector and Python. The names below are the package's
interface.
"""

from ._parse import (
    _MISSING,
    _TESTS,
    ALL_CAPABILITIES,
    EMPTY,
    Capabilities,
    Filter,
    FilterError,
    Include,
    apply_filter,
    compile_where,
    conjunction,
    like_to_regex,
    load_json_param,
    parse_filter,
    parse_query,
    parse_where,
    sort_key,
    sort_records,
    split_filter,
    where_supported,
)

__all__ = [
    "ALL_CAPABILITIES",
    "EMPTY",
    "Capabilities",
    "Filter",
    "FilterError",
    "Include",
    "_MISSING",
    "_TESTS",
    "apply_filter",
    "compile_where",
    "conjunction",
    "like_to_regex",
    "load_json_param",
    "parse_filter",
    "parse_query",
    "parse_where",
    "sort_key",
    "sort_records",
    "split_filter",
    "where_supported",
]
