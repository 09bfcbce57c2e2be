"""Server-side syntax highlighting for code snippets and diffs: a small regex tokenizer per engine
language (comments, strings, numbers, keywords), HTML-escaped, no JavaScript and no third-party
highlighter. Anything not recognised is plain escaped text, so an unknown language still renders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

C_FAMILY_COMMENT = r"//[^\n]*|/\*.*?(?:\*/|\Z)"
DOUBLE_QUOTED = r'"(?:\\.|[^"\\\n])*"?'
SINGLE_QUOTED = r"'(?:\\.|[^'\\\n])*'?"
CHAR_LITERAL = r"'(?:\\.[^'\n]{0,8}|[^'\\\n])'"  # one character: Rust's 'a lifetimes stay plain
NUMBER = r"\b(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?)[a-zA-Z]*\b"

C_KEYWORDS = (
    "auto break case char const continue default do double else enum extern float for goto if inline int long "
    "register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while"
)


@dataclass(frozen=True)
class Language:
    comment: str
    string: str
    keywords: frozenset[str]
    constants: frozenset[str]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


LANGUAGES: dict[str, Language] = {
    "python": Language(
        comment=r"#[^\n]*",
        string=r"(?:[rRbBuUfF]{1,2})?(?:'''.*?(?:'''|\Z)|\"\"\".*?(?:\"\"\"|\Z)|" + SINGLE_QUOTED + "|" + DOUBLE_QUOTED + ")",
        keywords=_words(
            "and as assert async await break class continue def del elif else except finally for from global if "
            "import in is lambda match case nonlocal not or pass raise return try while with yield"
        ),
        constants=_words("True False None self cls"),
    ),
    "javascript": Language(
        comment=C_FAMILY_COMMENT,
        string=r"`(?:\\.|[^`\\])*`?|" + SINGLE_QUOTED + "|" + DOUBLE_QUOTED,
        keywords=_words(
            "async await break case catch class const continue debugger default delete do else export extends "
            "finally for from function if import in instanceof let new of return static super switch throw try "
            "typeof var void while with yield"
        ),
        constants=_words("true false null undefined this NaN Infinity"),
    ),
    "go": Language(
        comment=C_FAMILY_COMMENT,
        string=r"`[^`]*`?|" + CHAR_LITERAL + "|" + DOUBLE_QUOTED,
        keywords=_words(
            "break case chan const continue default defer else fallthrough for func go goto if import interface "
            "map package range return select struct switch type var"
        ),
        constants=_words("true false nil iota"),
    ),
    "java": Language(
        comment=C_FAMILY_COMMENT,
        string=r'"""(?:.|\n)*?(?:"""|\Z)|' + CHAR_LITERAL + "|" + DOUBLE_QUOTED,
        keywords=_words(
            "abstract assert boolean break byte case catch char class const continue default do double else enum "
            "extends final finally float for goto if implements import instanceof int interface long native new "
            "package private protected public record return short static strictfp super switch synchronized "
            "throw throws transient try var void volatile while yield"
        ),
        constants=_words("true false null this"),
    ),
    "csharp": Language(
        comment=C_FAMILY_COMMENT,
        string=r'@"(?:""|[^"])*"?|\$?' + DOUBLE_QUOTED + "|" + CHAR_LITERAL,
        keywords=_words(
            "abstract as async await base bool break byte case catch char checked class const continue decimal "
            "default delegate do double else enum event explicit extern finally fixed float for foreach goto if "
            "implicit in int interface internal is lock long namespace new object operator out override params "
            "private protected public readonly record ref return sbyte sealed short sizeof stackalloc static "
            "string struct switch throw try typeof uint ulong unchecked unsafe ushort using var virtual void "
            "volatile while"
        ),
        constants=_words("true false null this"),
    ),
    "rust": Language(
        comment=C_FAMILY_COMMENT,
        string=r'b?r#*"(?:.|\n)*?(?:"#*|\Z)|b?' + DOUBLE_QUOTED + "|b?" + CHAR_LITERAL,
        keywords=_words(
            "as async await break const continue crate dyn else enum extern fn for if impl in let loop match mod "
            "move mut pub ref return static struct super trait type unsafe use where while"
        ),
        constants=_words("true false self Self None Some Ok Err"),
    ),
    "c": Language(
        comment=C_FAMILY_COMMENT + r"|^[ \t]*#[^\n]*",
        string=DOUBLE_QUOTED + "|" + CHAR_LITERAL,
        keywords=_words(C_KEYWORDS),
        constants=_words("NULL true false"),
    ),
    "cpp": Language(
        comment=C_FAMILY_COMMENT + r"|^[ \t]*#[^\n]*",
        string=r'R"([^(\s]*)\((?:.|\n)*?\)\1"|' + DOUBLE_QUOTED + "|" + CHAR_LITERAL,
        keywords=_words(
            C_KEYWORDS + " alignas alignof bool catch class concept constexpr consteval co_await co_return "
            "decltype delete explicit export friend mutable namespace new noexcept operator override private "
            "protected public requires static_assert template throw try typename using virtual"
        ),
        constants=_words("true false nullptr this NULL"),
    ),
}
LANGUAGES["typescript"] = Language(
    comment=LANGUAGES["javascript"].comment,
    string=LANGUAGES["javascript"].string,
    keywords=LANGUAGES["javascript"].keywords
    | _words(
        "abstract any boolean declare enum implements interface keyof namespace number private protected public readonly string type"
    ),
    constants=LANGUAGES["javascript"].constants,
)

EXTENSIONS = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".go": "go", ".java": "java", ".cs": "csharp", ".rs": "rust",
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
}  # fmt: skip


def _compile(language: Language) -> re.Pattern[str]:
    return re.compile(
        rf"(?P<c>{language.comment})|(?P<s>{language.string})|(?P<n>{NUMBER})|(?P<w>[A-Za-z_][A-Za-z0-9_]*)",
        re.DOTALL | re.MULTILINE,
    )


PATTERNS = {name: _compile(language) for name, language in LANGUAGES.items()}


def language_of(path: str) -> str:
    """The engine language of a file by its extension ("" when none of ours)."""
    return EXTENSIONS.get(PurePosixPath(path).suffix.lower(), "")


def highlight(code: str, language: str) -> SafeString:
    """``code`` as escaped HTML with ``<span class="tok-…">`` around keywords (k), constants (b),
    strings (s), comments (c) and numbers (n)."""
    pattern, spec = PATTERNS.get(language), LANGUAGES.get(language)
    if pattern is None or spec is None:
        return mark_safe(escape(code))  # escaped just here
    out: list[str] = []
    done = 0
    for match in pattern.finditer(code):
        kind, text = match.lastgroup, match.group()
        if kind == "w":
            kind = "k" if text in spec.keywords else "b" if text in spec.constants else None
        if kind is None:
            continue
        out.append(escape(code[done : match.start()]))
        out.append(f'<span class="tok-{kind}">{escape(text)}</span>')
        done = match.end()
    out.append(escape(code[done:]))
    return mark_safe("".join(out))  # every piece escaped above


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "del", "hunk", "meta" or "" (context)
    html: SafeString


def diff_lines(diff: str) -> list[DiffLine]:
    """A unified diff line by line: headers and hunks coloured, code after the +/-/space marker
    highlighted in the language of the file the ``+++``/``---`` header names."""
    language = ""
    rows: list[DiffLine] = []
    for line in diff.splitlines():
        if line.startswith(("+++ ", "--- ", "diff ", "index ")):
            if line.startswith(("+++ ", "--- ")):
                language = language_of(line[4:].strip().split("\t")[0]) or language
            rows.append(DiffLine("meta", mark_safe(escape(line))))  # escaped
        elif line.startswith("@@"):
            rows.append(DiffLine("hunk", mark_safe(escape(line))))  # escaped
        elif line[:1] in ("+", "-", " "):
            kind = {"+": "add", "-": "del", " ": ""}[line[:1]]
            rows.append(DiffLine(kind, mark_safe(escape(line[:1]) + highlight(line[1:], language))))
        else:
            rows.append(DiffLine("", mark_safe(escape(line))))  # escaped
    return rows
