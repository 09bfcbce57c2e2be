"""Chunks of a source file from the engine's per-file facts: one per function, method and class,
plus a module summary. Pure Python (no Django, no database).

* A function or method chunk is its source (with its decorators). A body longer than
  ``MAX_LINES``/``MAX_CHARS`` is split on statement boundaries into parts that overlap by a few
  lines; each part repeats the signature so that it stands on its own.
* A class chunk is the class header (bases, docstring, class attributes) and its method list:
  the methods have chunks of their own.
* The module summary is the module's head (docstring, imports, constants) and what it defines.
* Functions nested in functions stay inside their parent's chunk.

``embed_text`` (what the embedding model sees) starts with the kind, the qualified name and the
path; ``content_hash`` is the sha256 of it, so a chunk is re-embedded exactly when that changes.
``name_words``/``body_words`` are the identifier-aware texts the full-text vector is built from:
``parse_accept_header`` and ``parseAcceptHeader`` both index as "parse accept header".
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass
from typing import Any

MAX_LINES = 60
MAX_CHARS = 2400
OVERLAP_LINES = 5
MODULE_HEAD_LINES = 40
CLASS_HEAD_LINES = 30
MAX_DEFINES_LISTED = 60
MAX_KEY_CHARS = 1200  # CodeChunk.key

LANGUAGES = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".go": "go",
    ".java": "java",
    ".rb": "ruby",
}

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CAMEL_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


@dataclass(slots=True)
class ChunkSpec:
    key: str
    path: str
    qualname: str
    kind: str
    language: str
    start_line: int
    end_line: int
    part: int
    parts: int
    content: str
    embed_text: str
    name_words: str
    body_words: str
    content_hash: str


def split_identifier(name: str) -> list[str]:
    """``get_HTTPResponse2`` → ["get", "http", "response", "2"] (lowercase)."""
    words: list[str] = []
    for piece in name.split("_"):
        if piece:
            words.extend(p.lower() for p in _CAMEL_PART.findall(piece))
    return words


def identifier_words(text: str) -> str:
    """Every identifier of ``text`` as its words, plus the identifier itself when it has several
    (so an exact name still matches best)."""
    out: list[str] = []
    for ident in _IDENT.findall(text):
        parts = split_identifier(ident)
        out.extend(parts)
        if len(parts) > 1:
            out.append(ident.lower().replace("_", ""))
    return " ".join(out)


def language_of(path: str) -> str:
    dot = path.rfind(".")
    return LANGUAGES.get(path[dot:].lower(), "text") if dot >= 0 else "text"


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _statement_starts(source: str, first_line: int) -> set[int]:
    """1-based file lines where a statement of ``source`` (starting at ``first_line``) begins,
    at any nesting depth; empty when the piece does not parse on its own."""
    lines = source.splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    text = "\n".join(line[indent:] if len(line) >= indent else line.lstrip() for line in lines)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set()
    return {node.lineno + first_line - 1 for node in ast.walk(tree) if isinstance(node, ast.stmt)}


def split_lines(lines: list[str], first_line: int, boundaries: set[int]) -> list[tuple[int, int]]:
    """(start, end) file-line ranges covering ``lines`` (which start at ``first_line``): each at
    most MAX_LINES/MAX_CHARS, cut before a statement start when there is one, the next part
    starting OVERLAP_LINES earlier (at a statement start when possible)."""
    last_line = first_line + len(lines) - 1
    total_chars = sum(len(line) + 1 for line in lines)
    if len(lines) <= MAX_LINES and total_chars <= MAX_CHARS:
        return [(first_line, last_line)]
    parts: list[tuple[int, int]] = []
    start = first_line
    while True:
        chars, end = 0, start
        while end <= last_line and end - start < MAX_LINES:
            chars += len(lines[end - first_line]) + 1
            if chars > MAX_CHARS and end > start:
                break
            end += 1
        # ``end`` is the first line that does not fit.
        if end > last_line:
            parts.append((start, last_line))
            return parts
        cuts = [b for b in boundaries if start + OVERLAP_LINES < b <= end]
        cut = max(cuts) if cuts else end
        parts.append((start, cut - 1))
        resume_from = cut - OVERLAP_LINES
        resumes = [b for b in boundaries if resume_from <= b < cut and b > start]
        start = min(resumes) if resumes else max(resume_from, start + 1)


def embed_text_for(*, kind: str, qualname: str, path: str, part: int, parts: int, content: str) -> str:
    """What the embedding model sees: a label (kind, qualified name, path), the name's words,
    then the code. Derivable from a stored chunk, so embedding tasks need nothing else."""
    label = f"{kind} {qualname} in {path}"
    if parts > 1:
        label += f" (part {part + 1} of {parts})"
    return f"{label}\n{identifier_words(qualname.rsplit('.', 1)[-1])}\n{content}"


def content_hash_for(*, language: str, embed_text: str) -> str:
    return _hash(f"{language}\n{embed_text}")


def _spec(
    *,
    path: str,
    language: str,
    qualname: str,
    kind: str,
    start: int,
    end: int,
    content: str,
    part: int = 0,
    parts: int = 1,
    key_suffix: str = "",
) -> ChunkSpec:
    embed_text = embed_text_for(kind=kind, qualname=qualname, path=path, part=part, parts=parts, content=content)
    short_name = qualname.rsplit(".", 1)[-1]
    return ChunkSpec(
        key=f"{path}::{qualname}::{kind}::{part}{key_suffix}",
        path=path,
        qualname=qualname,
        kind=kind,
        language=language,
        start_line=start,
        end_line=max(end, start),
        part=part,
        parts=parts,
        content=content,
        embed_text=embed_text,
        name_words=f"{identifier_words(short_name)} {identifier_words(qualname)}",
        body_words=identifier_words(content),
        content_hash=content_hash_for(language=language, embed_text=embed_text),
    )


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    return getattr(obj, name, default)


def chunk_file(facts: Any, text: str) -> list[ChunkSpec]:
    """The chunks of one file, from its engine facts (``FileFacts``) and its text."""
    path: str = facts.path
    # the engine's language of the file (JavaScript, TypeScript... since the language seam)
    language = _attr(facts, "language") or language_of(path)
    lines = text.splitlines()
    n = len(lines)
    definitions = sorted(_attr(facts, "definitions") or [], key=lambda d: (d.line, -d.end_line))
    functions = [d for d in definitions if d.kind in ("function", "method")]
    chunks: list[ChunkSpec] = []
    seen_keys: dict[str, int] = {}

    def add(spec: ChunkSpec) -> None:
        count = seen_keys.get(spec.key, 0)
        seen_keys[spec.key] = count + 1
        if count:
            # Redefinitions (a property's getter and setter, platform branches) get distinct keys.
            spec.key = f"{spec.key}#{count}"
        if len(spec.key) > MAX_KEY_CHARS:
            spec.key = f"{spec.key[:200]}#{_hash(spec.key)}"
        chunks.append(spec)

    # Functions are sorted by start line, so an enclosing one is an earlier one still open.
    nested: set[int] = set()
    open_spans: list[tuple[int, int]] = []
    for f in functions:
        while open_spans and open_spans[-1][1] < f.line:
            open_spans.pop()
        if open_spans and f.end_line <= open_spans[-1][1]:
            nested.add(id(f))
        open_spans.append((f.line, f.end_line))

    def nested_in_function(d: Any) -> bool:
        return id(d) in nested

    def source_start(d: Any) -> int:
        start = d.line
        while start > 1 and lines[start - 2].lstrip().startswith("@"):
            start -= 1
        return start

    # One parse of the file gives every statement start (the engine parsed it already, so it parses).
    parsed: list[set[int]] = []

    def boundaries() -> set[int]:
        if not parsed:
            parsed.append(_statement_starts(text, 1))
        return parsed[0]

    module = _attr(facts, "module") or path
    # module summary
    first_def = min((source_start(d) for d in definitions), default=n + 1)
    head_end = min(first_def - 1, MODULE_HEAD_LINES, n)
    head = "\n".join(lines[:head_end]).strip()
    top_level = [d for d in definitions if d.qualname.count(".") == module.count(".") + 1]
    listed = ", ".join(d.name for d in top_level[:MAX_DEFINES_LISTED])
    summary = head
    if listed:
        summary += ("\n\n" if summary else "") + f"# defines: {listed}"
    if summary or n:
        add(
            _spec(
                path=path,
                language=language,
                qualname=module,
                kind="module",
                start=1,
                end=max(n, 1),
                content=summary[:MAX_CHARS] or f"# {path}",
            )
        )

    for d in definitions:
        if d.line < 1 or d.line > n:
            continue
        end = min(d.end_line, n)
        if d.kind == "class":
            body_defs = [
                m
                for m in definitions
                if m.kind == "method" and d.line < m.line <= end and m.qualname.startswith(d.qualname + ".")
            ]
            first_method = min((source_start(m) for m in body_defs), default=end + 1)
            head_last = min(first_method - 1, source_start(d) + CLASS_HEAD_LINES - 1, end)
            content = "\n".join(lines[source_start(d) - 1 : head_last])
            methods = [m.name for m in body_defs if m.qualname.count(".") == d.qualname.count(".") + 1]
            if methods:
                content += f"\n    # methods: {', '.join(methods[:MAX_DEFINES_LISTED])}"
            add(
                _spec(
                    path=path,
                    language=language,
                    qualname=d.qualname,
                    kind="class",
                    start=source_start(d),
                    end=end,
                    content=content[: MAX_CHARS * 2],
                )
            )
            continue
        if d.kind not in ("function", "method") or nested_in_function(d):
            continue
        start = source_start(d)
        body = lines[start - 1 : end]
        small = len(body) <= MAX_LINES and sum(len(line) + 1 for line in body) <= MAX_CHARS
        ranges = [(start, start + len(body) - 1)] if small else split_lines(body, start, boundaries())
        signature = lines[d.line - 1].strip()
        for i, (a, b) in enumerate(ranges):
            piece = "\n".join(lines[a - 1 : b])
            if i > 0:
                piece = f"{signature}  # ... continued from line {d.line}\n{piece}"
            add(
                _spec(
                    path=path,
                    language=language,
                    qualname=d.qualname,
                    kind=d.kind,
                    start=a,
                    end=b,
                    content=piece,
                    part=i,
                    parts=len(ranges),
                )
            )
    return chunks
