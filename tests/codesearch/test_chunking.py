"""Chunk boundaries from the engine's facts (pure functions, no database)."""

from __future__ import annotations

from analysis.engine.facts import Definition, FileFacts
from codesearch.chunking import MAX_LINES, OVERLAP_LINES, chunk_file, identifier_words, split_identifier


def test_identifiers_split_into_words_for_snake_and_camel_case():
    assert split_identifier("parse_accept_header") == ["parse", "accept", "header"]
    assert split_identifier("parseAcceptHeader") == ["parse", "accept", "header"]
    assert split_identifier("HTTPAdapter") == ["http", "adapter"]
    assert identifier_words("self.get_HTTPResponse2") == "self get http response 2 gethttpresponse2"


def long_function(statements: int) -> str:
    body = "\n".join(f"    value_{i} = compute_{i}(value_{i - 1})" for i in range(1, statements + 1))
    return f'def long_one(value_0):\n    """Many steps."""\n{body}\n    return value_{statements}\n'


def _defs(*items: tuple[str, str, int, int]) -> list[Definition]:
    return [Definition(kind=k, name=q.rsplit(".", 1)[-1], qualname=q, line=a, end_line=b) for k, q, a, b in items]


def test_long_function_is_split_on_statement_boundaries_with_overlap():
    text = long_function(150)
    n = len(text.splitlines())
    facts = FileFacts(path="m.py", module="m", content_hash="x", definitions=_defs(("function", "m.long_one", 1, n)))
    parts = [c for c in chunk_file(facts, text) if c.kind == "function"]
    assert len(parts) >= 3
    assert [p.part for p in parts] == list(range(len(parts))) and {p.parts for p in parts} == {len(parts)}
    assert parts[0].start_line == 1 and parts[-1].end_line == n
    for before, after in zip(parts, parts[1:], strict=False):
        assert after.start_line <= before.end_line  # overlap
        assert before.end_line - after.start_line + 1 <= OVERLAP_LINES + 1
        assert after.end_line - after.start_line < MAX_LINES
        # every later part restarts at a statement and repeats the signature
        assert after.content.splitlines()[0].startswith("def long_one(value_0):")
        assert after.content.splitlines()[1].strip().startswith(("value_", "return"))
    assert len({p.key for p in parts}) == len(parts)


def test_class_chunk_lists_methods_and_nested_functions_stay_in_their_parent():
    text = (
        "class Store:\n"
        '    """Keeps things."""\n'
        "    limit = 3\n"
        "\n"
        "    def put(self, item):\n"
        "        def check(x):\n"
        "            return x\n"
        "        return check(item)\n"
        "\n"
        "    def take(self):\n"
        "        return None\n"
    )
    facts = FileFacts(
        path="s.py",
        module="s",
        content_hash="x",
        definitions=_defs(
            ("class", "s.Store", 1, 11),
            ("method", "s.Store.put", 5, 8),
            ("function", "s.Store.put.check", 6, 7),
            ("method", "s.Store.take", 10, 11),
        ),
    )
    chunks = {c.qualname: c for c in chunk_file(facts, text)}
    assert set(chunks) == {"s", "s.Store", "s.Store.put", "s.Store.take"}
    assert "limit = 3" in chunks["s.Store"].content and "# methods: put, take" in chunks["s.Store"].content
    assert "def put" not in chunks["s.Store"].content
    assert "def check" in chunks["s.Store.put"].content
    assert "# defines: Store" in chunks["s"].content


def test_redefinitions_get_distinct_keys_and_content_hash_follows_the_text():
    text = "def f():\n    return 1\n\n\ndef f():\n    return 2\n"
    facts = FileFacts(
        path="r.py", module="r", content_hash="x", definitions=_defs(("function", "r.f", 1, 2), ("function", "r.f", 5, 6))
    )
    fs = [c for c in chunk_file(facts, text) if c.kind == "function"]
    assert len({c.key for c in fs}) == 2 and fs[0].content_hash != fs[1].content_hash
    again = [c for c in chunk_file(facts, text) if c.kind == "function"]
    assert [c.content_hash for c in again] == [c.content_hash for c in fs]


def test_decorators_belong_to_their_function():
    text = "import functools\n\n\n@functools.cache\ndef cached():\n    return 1\n"
    facts = FileFacts(path="d.py", module="d", content_hash="x", definitions=_defs(("function", "d.cached", 5, 6)))
    (fn,) = [c for c in chunk_file(facts, text) if c.kind == "function"]
    assert fn.start_line == 4 and fn.content.startswith("@functools.cache")
