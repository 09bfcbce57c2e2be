"""Server-side highlighting of snippets and diffs (dashboard.highlight), and the pages using it."""

from __future__ import annotations

import pytest

from dashboard.highlight import EXTENSIONS, LANGUAGES, diff_lines, highlight, language_of
from findings.models import FindingLanguage
from tests.fixes.conftest import make_proposal


def test_every_engine_language_has_a_tokenizer_and_an_extension():
    assert set(LANGUAGES) == set(FindingLanguage.values)
    assert set(EXTENSIONS.values()) == set(FindingLanguage.values)


def test_python_keywords_strings_comments_numbers_and_constants():
    html = highlight('def f(x):\n    return "if x" + 0x1F  # not None\nyield None', "python")
    assert '<span class="tok-k">def</span>' in html and '<span class="tok-k">return</span>' in html
    assert '<span class="tok-s">&quot;if x&quot;</span>' in html  # a keyword inside a string stays string
    assert '<span class="tok-c"># not None</span>' in html  # ... and inside a comment, comment
    assert '<span class="tok-n">0x1F</span>' in html and '<span class="tok-b">None</span>\n' not in html
    assert html.endswith('<span class="tok-b">None</span>')


def test_multiline_strings_and_block_comments_are_one_token():
    assert highlight('x = """a\nif b"""', "python").count("tok-k") == 0
    js = highlight("/* if\n while */ let a = `x\n${y}`;", "javascript")
    assert js.startswith('<span class="tok-c">/* if\n while */</span>') and '<span class="tok-s">`x\n${y}`</span>' in js


@pytest.mark.parametrize(
    ("language", "code", "token"),
    [
        ("go", "func main() { x := nil }", '<span class="tok-k">func</span>'),
        ("java", "public static void main()", '<span class="tok-k">public</span>'),
        ("csharp", 'var s = @"C:\\path";', '<span class="tok-s">@&quot;C:\\path&quot;</span>'),
        ("rust", "fn f<'a>(x: &'a str) -> char { 'x' }", '<span class="tok-s">&#x27;x&#x27;</span>'),
        ("c", "#include <stdio.h>\nint main(void)", '<span class="tok-c">#include &lt;stdio.h&gt;</span>'),
        ("cpp", "auto p = nullptr;", '<span class="tok-b">nullptr</span>'),
        ("typescript", "interface A { b: string }", '<span class="tok-k">interface</span>'),
    ],
)
def test_each_language(language, code, token):
    assert token in highlight(code, language)


def test_rust_lifetimes_are_not_strings():
    html = highlight("fn f<'a>(x: &'a str)", "rust")
    assert "tok-s" not in html


def test_markup_in_code_is_escaped_whatever_the_language():
    evil = '</code><script>alert(1)</script> "<img src=x onerror=alert(1)>"'
    for language in [*LANGUAGES, "cobol", ""]:
        html = highlight(evil, language)
        assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html


def test_unknown_language_is_plain_escaped_text():
    assert highlight("if a < b: pass", "cobol") == "if a &lt; b: pass"


def test_diff_lines_colour_markers_and_highlight_in_the_files_language():
    rows = diff_lines(
        'diff --git a/m.go b/m.go\n--- a/m.go\n+++ b/m.go\n@@ -1,2 +1,2 @@\n ctx\n-x := "a"\n+return nil\n\\ No newline'
    )
    assert [r.kind for r in rows] == ["meta", "meta", "meta", "hunk", "", "del", "add", ""]
    assert rows[5].html == '-x := <span class="tok-s">&quot;a&quot;</span>'
    assert rows[6].html == '+<span class="tok-k">return</span> <span class="tok-b">nil</span>'
    assert language_of("src/App.TSX") == "typescript" and language_of("Makefile") == ""


@pytest.mark.django_db
def test_finding_page_highlights_its_snippet(member_page, world):
    sql = world.finding("sql-injection")
    sql.snippet, sql.language = 'cursor.execute("SELECT " + name)  # <b>', "python"
    sql.save(update_fields=["snippet", "language"])
    html = member_page.get(f"/app/findings/{sql.pk}/").content.decode()
    assert '<span class="tok-s">&quot;SELECT &quot;</span>' in html and '<span class="tok-c"># &lt;b&gt;</span>' in html


@pytest.mark.django_db
def test_fix_page_diff_is_coloured_and_highlighted(member_page, world):
    diff = "--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-except:\n+except Exception:\n"
    proposal = make_proposal(world.finding("bare-except"), diff=diff)
    html = member_page.get(f"/app/fixes/{proposal.pk}/").content.decode()
    assert '<span class="del">-<span class="tok-k">except</span>:' in html
    assert '<span class="add">+<span class="tok-k">except</span> Exception:' in html
