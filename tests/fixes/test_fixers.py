"""Each rule-based fixer on real-looking code: the diff is minimal, comments and formatting are
kept, the real engine no longer reports the finding afterwards and reports nothing new."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from analysis.engine import analyze
from fixes.fixers import FindingRef, covered_detectors, rule_fix, unified_diff

SAMPLES: dict[str, tuple[str, str, int]] = {
    # detector: (source, text expected in the fixed source, most lines the diff may change)
    "unused-import": (
        '''"""Utilities."""

import os
import sys  # used below
from collections import OrderedDict, defaultdict  # keep defaultdict


def main():
    """Entry point."""
    counts = defaultdict(int)  # per argument
    return sys.argv, counts, OrderedDict()
''',
        "import sys  # used below\nfrom collections import OrderedDict, defaultdict",
        1,
    ),
    "mutable-default-argument": (
        '''"""Cart."""


def add_item(item, cart=[]):  # shared cart!
    """Add an item."""
    cart.append(item)  # mutate
    return cart
''',
        'def add_item(item, cart=None):  # shared cart!\n    """Add an item."""\n    if cart is None:\n        cart = []\n',
        4,
    ),
    "comparison-to-singleton": (
        '''"""Check."""


def check(value):
    """Return whether value is missing."""
    if value == None:  # legacy
        return True
    return False
''',
        "if value is None:  # legacy",
        2,
    ),
    "bare-or-swallowed-except": (
        '''"""Loader."""

import json


def load(text):
    """Parse or give up."""
    try:
        return json.loads(text)  # may raise
    except:
        return None
''',
        "    except Exception:\n        return None",
        2,
    ),
    "insecure-tls": (
        '''"""Client."""

import requests


def fetch(url):
    """Fetch a page."""
    # staging uses a self-signed certificate
    response = requests.get(
        url,
        timeout=10,
        verify=False,
    )
    return response.text
''',
        "        timeout=10,\n    )",
        1,
    ),
    "unsafe-deserialization": (
        '''"""Config."""

import yaml


def read_config(path):
    """Read the YAML config."""
    with open(path) as fh:  # utf-8
        return yaml.load(fh, Loader=yaml.Loader)
''',
        "return yaml.safe_load(fh)",
        2,
    ),
    "insecure-tempfile": (
        '''"""Export."""

import tempfile


def export(rows):
    """Write rows to a temporary file."""
    path = tempfile.mktemp(suffix=".csv")  # scratch file
    with open(path, "w") as fh:
        fh.write("\\n".join(rows))
    return path
''',
        'fd, path = tempfile.mkstemp(suffix=".csv")  # scratch file\n    os.close(fd)',
        4,
    ),
    "weak-crypto": (
        # A hash whose use the engine cannot tell (a cache key is recognised as harmless and is no
        # finding at all): a hotspot the fixer resolves by declaring it not for security.
        '''"""Content ids."""

import hashlib


def file_id(url):
    """Id of a fetched file."""
    return hashlib.md5(url.encode()).hexdigest()  # short and stable
''',
        "hashlib.md5(url.encode(), usedforsecurity=False).hexdigest()  # short and stable",
        2,
    ),
    "string-concat-in-loop": (
        '''"""Report."""


def render(rows):
    """Render rows as lines."""
    out = ""  # accumulated text
    for row in rows:
        out += str(row) + "\\n"  # one per line
    return out
''',
        'out_parts = []  # accumulated text\n    for row in rows:\n        out_parts.append(str(row) + "\\n")  # one per line\n    out = "".join(out_parts)',
        5,
    ),
}


def _analyse(tmp_path: Path, source: str):
    (tmp_path / "mod.py").write_text(source)
    return analyze(str(tmp_path), workers=1)


def _ref(f) -> FindingRef:
    return FindingRef(
        f.detector, f.path, f.line, f.column, f.end_line, f.end_column, f.symbol, f.snippet, f.fingerprint, f.metadata
    )


def _comments(source: str) -> list[str]:
    return [m.group(0) for m in re.finditer(r"#.*$", source, re.MULTILINE)]


def _changed_lines(diff: str) -> int:
    return sum(1 for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---")))


def test_every_issue_detector_has_a_fixer():
    assert set(SAMPLES) <= covered_detectors()


@pytest.mark.parametrize("detector", sorted(SAMPLES))
def test_fixer_resolves_the_finding_with_a_minimal_diff_keeping_comments(detector, tmp_path):
    source, expected, max_changed = SAMPLES[detector]
    before = _analyse(tmp_path, source)
    targets = [f for f in before.findings if f.detector == detector]
    assert targets, f"the sample must trigger {detector}"
    fix = rule_fix(source, _ref(targets[0]))
    assert fix is not None
    ast.parse(fix.new_source)
    assert expected in fix.new_source
    diff = unified_diff("mod.py", source, fix.new_source)
    assert 0 < _changed_lines(diff) <= max_changed, diff
    assert set(_comments(source)) <= set(_comments(fix.new_source))

    after = _analyse(tmp_path, fix.new_source)
    fingerprints_before = {f.fingerprint for f in before.findings}
    assert targets[0].fingerprint not in {f.fingerprint for f in after.findings}
    assert [f for f in after.findings if f.fingerprint not in fingerprints_before] == []


def test_unused_import_removes_a_whole_statement_keeping_the_blank_line_above(tmp_path):
    source = '"""Doc."""\n\nimport os\nimport sys\n\nprint(sys.argv)\n'
    finding = next(f for f in _analyse(tmp_path, source).findings if f.detector == "unused-import")
    fix = rule_fix(source, _ref(finding))
    assert fix is not None and fix.new_source == '"""Doc."""\n\nimport sys\n\nprint(sys.argv)\n'


def test_swallowed_bare_except_also_logs_the_ignored_error(tmp_path):
    source = '"""Doc."""\nimport json\n\n\ndef f(t):\n    """Parse."""\n    try:\n        return json.loads(t)\n    except:\n        pass\n'
    before = _analyse(tmp_path, source)
    finding = next(f for f in before.findings if f.detector == "bare-or-swallowed-except")
    fix = rule_fix(source, _ref(finding))
    assert fix is not None
    assert "import json\nimport logging\n" in fix.new_source
    assert "except Exception:\n        logging.getLogger(__name__).debug(" in fix.new_source
    after = _analyse(tmp_path, fix.new_source)
    assert not [f for f in after.findings if f.detector == "bare-or-swallowed-except"]


def test_string_concat_fixer_declines_when_the_loop_reads_the_partial_string(tmp_path):
    source = (
        '"""Doc."""\n\n\ndef f(rows):\n    """Render."""\n    out = ""\n    for row in rows:\n'
        "        if len(out) > 80:\n            break\n        out += str(row)\n    return out\n"
    )
    findings = [f for f in _analyse(tmp_path, source).findings if f.detector == "string-concat-in-loop"]
    assert findings
    assert rule_fix(source, _ref(findings[0])) is None


def test_weak_hash_fixer_declines_when_the_hash_protects_a_password(tmp_path):
    source = '"""Doc."""\nimport hashlib\n\n\ndef hash_password(password):\n    """Hash."""\n    return hashlib.md5(password.encode()).hexdigest()\n'
    findings = [f for f in _analyse(tmp_path, source).findings if f.detector == "weak-crypto"]
    assert findings
    assert rule_fix(source, _ref(findings[0])) is None


def test_mktemp_in_an_expression_becomes_a_named_temporary_file(tmp_path):
    source = '"""Doc."""\nimport tempfile\n\n\ndef f():\n    """Name."""\n    return open(tempfile.mktemp(".txt"), "w")\n'
    before = _analyse(tmp_path, source)
    finding = next(f for f in before.findings if f.detector == "insecure-tempfile")
    fix = rule_fix(source, _ref(finding))
    assert fix is not None
    assert 'tempfile.NamedTemporaryFile(delete=False, suffix=".txt").name' in fix.new_source
    assert not [f for f in _analyse(tmp_path, fix.new_source).findings if f.detector == "insecure-tempfile"]


def test_comparison_to_true_is_fixed_with_lower_confidence(tmp_path):
    source = '"""Doc."""\n\n\ndef f(flag):\n    """Flag."""\n    return flag == True\n'
    finding = next(f for f in _analyse(tmp_path, source).findings if f.detector == "comparison-to-singleton")
    fix = rule_fix(source, _ref(finding))
    assert fix is not None and "flag is True" in fix.new_source and fix.confidence < 0.8


def test_pickle_loads_is_not_rewritten_by_the_yaml_fixer(tmp_path):
    source = '"""Doc."""\nimport pickle\n\n\ndef f(blob):\n    """Load."""\n    return pickle.loads(blob)\n'
    finding = next(f for f in _analyse(tmp_path, source).findings if f.detector == "unsafe-deserialization")
    assert rule_fix(source, _ref(finding)) is None


def test_fixing_the_first_of_two_identical_findings_counts_as_resolved(tmp_path):
    from fixes.sandbox import compare_findings

    source = (
        '"""Doc."""\n\n\ndef load(a, b):\n    """Two tries."""\n    try:\n        a()\n    except Exception:\n        pass\n'
        "    try:\n        b()\n    except Exception:\n        pass\n"
    )
    before = _analyse(tmp_path, source)
    first = min((f for f in before.findings if f.detector == "bare-or-swallowed-except"), key=lambda f: f.line)
    fix = rule_fix(source, _ref(first))
    assert fix is not None
    after = _analyse(tmp_path, fix.new_source)
    # the engine hands the first one's fingerprint to its identical twin ...
    assert first.fingerprint in {f.fingerprint for f in after.findings}
    # ... so identities are counted: resolved, and the twin is not reported as new
    resolved, present, new = compare_findings(before.findings, after.findings, first.fingerprint)
    assert (resolved, present, new) == (True, True, [])
