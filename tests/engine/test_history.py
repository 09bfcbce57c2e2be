"""Git-history metrics against a scripted history: every figure is recomputed here from
``git log --follow --numstat`` (and ``git log -L`` for functions), independently of the engine."""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

import pytest

from analysis.engine import analyze
from analysis.engine.config import ConfigError
from analysis.engine.history import analyze_history, mine_history
from analysis.engine.history.metrics import DAY, HistoryOptions, bus_factor, compute, spearman
from analysis.engine.history.mining import CommitFacts, mine_commits, parse_patches
from analysis.engine.reports import ranked_findings
from tests.gitrepo import commit_as, git

ALICE = ("Alice", "alice@example.test")
BOB = ("Bob", "bob@example.test")
BOB_OLD = ("bobby", "bob@old.test")  # unified with BOB by .mailmap
CAROL = ("Carol", "carol@example.test")  # leaves early: her files are knowledge at risk


def func(name: str, body_lines: int, branch: bool = False) -> str:
    body = "".join(f"    x{i} = {i}\n" for i in range(body_lines))
    if branch:
        body += "    if x0:\n        return 1\n    for _ in range(3):\n        pass\n"
    return f"def {name}():\n{body}    return 0\n\n\n"


# unlike every other file (git log --follow would take a similar new file for a copy)
BOBS = "".join(f"LABEL_{i} = 'bob wrote entry number {i} of this table'\n" for i in range(12))


def core(version: int) -> str:
    parts = []
    if version >= 3:
        parts.append(func("inserted_above", 2))
    parts.append(func("stable", 3, branch=True))
    parts.append(func("busy", 2 + version, branch=True))
    if version >= 5:
        parts.append(func("late", 1))
    return "".join(parts)


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("history") / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    shas: dict[str, str] = {}
    day = iter(range(1, 400))

    def when(n: int) -> str:
        return f"@{1_704_110_400 + n * DAY} +0000"

    def at(who, files, message, n=None):
        k = next(day) if n is None else n
        return commit_as(root, files, message, author=who[0], email=who[1], date=when(k))

    at(
        CAROL,
        {
            ".mailmap": "Bob <bob@example.test> bobby <bob@old.test>\n",
            "pkg/__init__.py": "",
            "pkg/core.py": core(1),
            "pkg/helpers.py": func("helper", 2),
            "pkg/util.py": func("u", 1),
            "pkg/other.py": "from pkg.util import u\n\n" + func("o", 1),
            "pkg/old_name.py": func("moved", 4, branch=True),
            "vendor/lib.py": func("vendored", 1),
            "legacy/carol.py": func("carols", 6),
        },
        "initial",
    )
    at(CAROL, {"legacy/carol.py": func("carols", 8)}, "carol grows her module")
    at(ALICE, {"pkg/core.py": core(2), "pkg/helpers.py": func("helper", 3)}, "core + helpers 1")
    at(BOB_OLD, {"pkg/core.py": core(3), "pkg/helpers.py": func("helper", 4)}, "core + helpers 2")
    at(
        BOB,
        {"pkg/util.py": func("u", 2), "pkg/other.py": "from pkg.util import u\n\n" + func("o", 2), "pkg/bobs.py": BOBS},
        "util + other 1, bob's module",
    )
    git(root, "mv", "pkg/old_name.py", "pkg/renamed.py")
    shas["rename"] = at(ALICE, {}, "rename old_name -> renamed")
    at(ALICE, {"pkg/renamed.py": func("moved", 5, branch=True), "vendor/lib.py": func("vendored", 2)}, "after rename")
    at(BOB, {"pkg/util.py": func("u", 3), "pkg/other.py": "from pkg.util import u\n\n" + func("o", 3)}, "util + other 2")
    at(ALICE, {"pkg/core.py": core(4), "pkg/helpers.py": func("helper", 5)}, "core + helpers 3")
    # a bulk reformatting commit, listed in .git-blame-ignore-revs: in no metric
    reformat = {
        p: (root / p).read_text() + "# reformatted\n" for p in ("pkg/core.py", "pkg/util.py", "pkg/helpers.py", "pkg/renamed.py")
    }
    shas["reformat"] = at(BOB, reformat, "reformat everything")
    at(ALICE, {".git-blame-ignore-revs": f"# black\n{shas['reformat']}\n"}, "ignore the reformat")
    # a merged branch: the merge commit is not mined, the branch's commit is
    git(root, "checkout", "-q", "-b", "feature")
    at(BOB, {"pkg/util.py": func("u", 4), "pkg/other.py": "from pkg.util import u\n\n" + func("o", 4)}, "util + other 3 (branch)")
    git(root, "checkout", "-q", "main")
    at(
        ALICE,
        {"pkg/core.py": core(5) + "# reformatted\n", "pkg/helpers.py": func("helper", 6) + "# reformatted\n"},
        "core + helpers 4",
    )
    subprocess.run(
        ["git", "merge", "-q", "--no-ff", "-m", "merge feature", "feature"],
        cwd=root,
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "Alice",
            "GIT_AUTHOR_EMAIL": ALICE[1],
            "GIT_COMMITTER_NAME": "Alice",
            "GIT_COMMITTER_EMAIL": ALICE[1],
            "GIT_AUTHOR_DATE": when(200),
            "GIT_COMMITTER_DATE": when(200),
            "HOME": str(root),
            "PATH": "/usr/bin:/bin",
        },
    )
    shas["last"] = at(ALICE, {"pkg/core.py": (root / "pkg/core.py").read_text().replace("x1 = 1", "x1 = 11")}, "late edit", n=201)
    at(BOB, {"pkg/bobs.py": BOBS + "LABEL_LAST = 'still here'\n"}, "bob is still active", n=202)
    return {"root": root, "shas": shas}


def oracle_file(root: Path, path: str, ignored: set[str]) -> dict:
    out = subprocess.run(
        ["git", "log", "--follow", "--no-merges", "--numstat", "--format=@%H|%aE|%at", "--", path],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    commits: list[dict] = []
    for line in out.splitlines():
        if line.startswith("@"):
            sha, email, ts = line[1:].split("|")
            commits.append({"sha": sha, "email": email.lower(), "ts": int(ts), "added": 0, "removed": 0})
        elif line.strip():
            added, removed, _ = line.split("\t", 2)
            commits[-1]["added"] += int(added)
            commits[-1]["removed"] += int(removed)
    commits = [c for c in commits if c["sha"] not in ignored]
    knowledge: dict[str, int] = {}
    for c in commits:
        knowledge[c["email"]] = knowledge.get(c["email"], 0) + c["added"]
    total = sum(knowledge.values())
    main = min(knowledge, key=lambda k: (-knowledge[k], k)) if total else ""
    return {
        "shas": [c["sha"] for c in commits],
        "revisions": len(commits),
        "added": sum(c["added"] for c in commits),
        "removed": sum(c["removed"] for c in commits),
        "created": min(c["ts"] for c in commits),
        "last": max(c["ts"] for c in commits),
        "authors": len(knowledge),
        "main": main,
        "share": round(knowledge[main] / total, 4) if total else 0.0,
        "timestamps": {c["sha"]: c["ts"] for c in commits},
        "knowledge": knowledge,
    }


@pytest.fixture(scope="module")
def analysed(history_repo):
    root = history_repo["root"]
    result = analyze(root, workers=1)
    imports = {f.module: {i.resolved for i in f.imports if i.resolved} for f in result.files.values()}
    options = HistoryOptions(months=24, min_shared=2, active_days=60)
    report, mined = analyze_history(root, result.files, imports, options)
    return {"result": result, "report": report, "mined": mined, "options": options, "imports": imports}


def test_mining_skips_merges_and_marks_ignored_revisions(history_repo, analysed):
    mined = analysed["mined"]
    root = history_repo["root"]
    expected = git(root, "rev-list", "--no-merges", "HEAD").split()
    assert [c.sha for c in mined.commits] == expected
    assert [c.sha for c in mined.commits if c.ignored] == [history_repo["shas"]["reformat"]]
    rename = next(c for c in mined.commits if c.sha == history_repo["shas"]["rename"])
    assert [(ch.old_path, ch.path) for ch in rename.changes] == [("pkg/old_name.py", "pkg/renamed.py")]
    assert {c.email for c in mined.commits} == {ALICE[1], BOB[1], CAROL[1]}  # .mailmap unified bob


def test_every_file_metric_equals_git_log_follow(history_repo, analysed):
    root, report = history_repo["root"], analysed["report"]
    ignored = {history_repo["shas"]["reformat"]}
    tracked = git(root, "ls-files").split()
    expected_paths = {p for p in tracked if not p.startswith("vendor/")}
    assert set(report.files) == expected_paths
    now = max(int(t) for t in git(root, "log", "--no-merges", "--format=%at").split())
    for path, h in report.files.items():
        want = oracle_file(root, path, ignored)
        assert h.commits == want["shas"], path
        assert (h.revisions, h.added, h.removed) == (want["revisions"], want["added"], want["removed"]), path
        assert (h.created, h.last_changed, h.authors) == (want["created"], want["last"], want["authors"]), path
        assert (h.main_author, h.main_author_share) == (want["main"], want["share"]), path
        assert h.age_days == round((now - want["created"]) / DAY, 2), path
    assert report.files["pkg/renamed.py"].revisions == 3  # initial (as old_name), rename, after rename


def test_hotspots_are_revisions_times_complexity_normalised(analysed):
    report, files = analysed["report"], analysed["result"].files
    source = {p: h for p, h in report.files.items() if files.get(p) is not None and files[p].role == "source"}
    cx = {p: sum(d.metrics.cyclomatic for d in files[p].definitions if d.metrics) for p in source}
    rows = {p: (h.revisions, cx[p]) for p, h in source.items() if cx[p]}
    max_rev = max(r for r, _ in rows.values())
    max_cx = max(c for _, c in rows.values())
    expected = sorted(rows, key=lambda p: (-(rows[p][0] / max_rev) * (rows[p][1] / max_cx), -rows[p][0], p))
    assert [h.path for h in report.hotspots] == expected
    assert report.hotspots[0].path == "pkg/core.py"
    assert [h.rank for h in report.hotspots] == list(range(1, len(expected) + 1))
    for h in report.hotspots:
        assert h.score == pytest.approx((rows[h.path][0] / max_rev) * (rows[h.path][1] / max_cx), abs=1e-6)


def test_temporal_coupling_support_confidence_decay_and_hidden(history_repo, analysed):
    root, report, options = history_repo["root"], analysed["report"], analysed["options"]
    ignored = {history_repo["shas"]["reformat"]}
    files = analysed["result"].files
    now = max(int(t) for t in git(root, "log", "--no-merges", "--format=%at").split())
    per = {p: oracle_file(root, p, ignored) for p in files if files[p].role != "vendored"}
    expected = {}
    for a, b in itertools.combinations(sorted(per), 2):
        both = set(per[a]["shas"]) & set(per[b]["shas"])
        if len(both) < options.min_shared:
            continue

        def w(ts):
            return 0.5 ** ((now - ts) / DAY / options.half_life_days)

        sw = sum(w(per[a]["timestamps"][s]) for s in both)
        wa = sum(w(t) for t in per[a]["timestamps"].values())
        wb = sum(w(t) for t in per[b]["timestamps"].values())
        expected[(a, b)] = (len(both), sw / wa, sw / wb)
    got = {(c.a, c.b): c for c in report.couplings}
    assert set(got) == set(expected)
    for pair, (shared, ab, ba) in expected.items():
        c = got[pair]
        assert c.shared == shared
        assert c.confidence_ab == pytest.approx(ab, abs=1e-6)
        assert c.confidence_ba == pytest.approx(ba, abs=1e-6)
        assert c.confidence == pytest.approx(max(ab, ba), abs=1e-6)
    assert got[("pkg/core.py", "pkg/helpers.py")].hidden is True
    assert got[("pkg/other.py", "pkg/util.py")].hidden is False  # other imports util


def test_ownership_bus_factor_and_knowledge_at_risk(history_repo, analysed):
    root, report = history_repo["root"], analysed["report"]
    ignored = {history_repo["shas"]["reformat"]}
    modules = {m.module: m for m in report.modules}
    for module, m in modules.items():
        knowledge: dict[str, int] = {}
        for path in report.files:
            if path.rpartition("/")[0] == module:
                for k, v in oracle_file(root, path, ignored)["knowledge"].items():
                    knowledge[k] = knowledge.get(k, 0) + v
        assert m.knowledge == knowledge
        ordered = sorted(knowledge.values(), reverse=True)
        total = sum(ordered)
        expected_bf = next(i for i in range(1, len(ordered) + 1) if sum(ordered[:i]) * 2 > total)
        assert m.bus_factor == expected_bf
    # knowledge at risk: the main author's last commit is older than active_days before the newest
    log = [line.split("|") for line in git(root, "log", "--no-merges", "--format=%aE|%at").splitlines()]
    now = max(int(ts) for _, ts in log)
    last = {}
    for email, ts in log:
        last[email.lower()] = max(last.get(email.lower(), 0), int(ts))
    expected = []
    for path in sorted(report.files):
        want = oracle_file(root, path, ignored)
        if want["main"] and last[want["main"]] < now - analysed["options"].active_days * DAY:
            expected.append(path)
    assert report.at_risk == expected
    assert "legacy/carol.py" in expected and "pkg/bobs.py" not in expected
    assert modules["legacy"].at_risk_files == ["legacy/carol.py"]
    assert bus_factor({"a": 5, "b": 5}) == 2 and bus_factor({"a": 6, "b": 5}) == 1 and bus_factor({}) == 0


def _line_log(root: Path, path: str, lo: int, hi: int) -> list[str]:
    out = subprocess.run(
        ["git", "log", "--no-merges", f"-L{lo},{hi}:{path}", "--format=@%H"], cwd=root, check=True, capture_output=True, text=True
    ).stdout
    return [m.group(1) for m in re.finditer(r"^@([0-9a-f]{40})$", out, re.MULTILINE)]


def test_function_revisions_equal_git_log_L(history_repo, analysed):
    root, report, files = history_repo["root"], analysed["report"], analysed["result"].files
    ignored = {history_repo["shas"]["reformat"]}
    assert report.functions
    by_name = {(f.path, f.qualname): f for f in report.functions}
    checked = 0
    for path in ("pkg/core.py", "pkg/renamed.py"):
        for d in files[path].definitions:
            if d.metrics is None:
                continue
            expected = [s for s in _line_log(root, path, d.line, d.end_line) if s not in ignored]
            got = by_name.get((path, d.qualname))
            assert (got.revisions if got else 0) == len(expected), d.qualname
            checked += 1
    assert checked >= 5
    assert by_name[("pkg/core.py", "pkg.core.busy")].revisions > by_name[("pkg/core.py", "pkg.core.stable")].revisions


def test_incremental_mining_equals_cold(history_repo, tmp_path):
    root = history_repo["root"]
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
    git(clone, "reset", "-q", "--hard", "HEAD~3")
    options = HistoryOptions(months=24)
    first = mine_history(clone, options)
    git(clone, "pull", "-q", "--ff-only", "origin", "main")
    stored = [CommitFacts.from_dict(c.to_dict()) for c in first.commits]
    again = mine_history(clone, options, known=stored)
    cold = mine_history(clone, options)
    assert again.incremental and not cold.incremental
    assert again.new_commits == len(cold.commits) - len(first.commits) > 0
    # the same commits (new ones first: a valid order for following renames, as git's is)
    assert sorted(map(str, (c.to_dict() for c in again.commits))) == sorted(map(str, (c.to_dict() for c in cold.commits)))
    assert again.commits[0].sha == cold.commits[0].sha == git(clone, "rev-parse", "HEAD")
    current = git(clone, "ls-files").split()
    assert compute(again.commits, current).files == compute(cold.commits, current).files


def test_shallow_clone_boundary_and_horizon(history_repo, tmp_path):
    root = history_repo["root"]
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "3", f"file://{root}", str(shallow)], check=True)
    commits = mine_commits(shallow)
    # the boundary commits' diffs are against nothing: dropped
    boundary = set((shallow / ".git" / "shallow").read_text().split())
    assert boundary
    assert [c.sha for c in commits] == [s for s in git(shallow, "rev-list", "--no-merges", "HEAD").split() if s not in boundary]
    head_time = int(git(root, "log", "-1", "--format=%at"))
    short = mine_history(root, HistoryOptions(months=1))
    assert short.commits and all(c.timestamp >= head_time - 31 * DAY for c in short.commits)
    capped = mine_history(root, HistoryOptions(months=24, max_commits=4))
    assert len(capped.commits) == 4


def test_parse_patches_skips_content_lines_that_look_like_headers():
    raw = (
        "\x1e"
        + "a" * 40
        + "\n\ndiff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,0 +2,2 @@ ctx\n+@@ -9 +9 @@\n+++ b/y.py\n"
    )
    patches = parse_patches(raw)
    assert [(p.path, p.hunks) for p in patches["a" * 40]] == [("x.py", [(1, 0, 2, 2)])]


def test_spearman():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(0.9486833, abs=1e-6)


def test_options_are_validated():
    assert HistoryOptions.from_mapping({"months": 6, "ignore_revs": ["abc1234"]}).months == 6
    for bad in ({"months": 0}, {"nope": 1}, {"ignore_revs": "x"}, {"months": True}):
        with pytest.raises(ValueError):
            HistoryOptions.from_mapping(bad)


HISTORY_CONFIG = {
    "history": {"months": 24, "active_days": 60},
    "detectors": {"hotspot": {"min_revisions": 3}, "knowledge-risk": {"min_lines": 5}},
}


@pytest.fixture(scope="module")
def full_run(history_repo):
    return analyze(history_repo["root"], workers=1, config=HISTORY_CONFIG)


def test_history_detectors_positive_and_negative(full_run, history_repo):
    by = {}
    for f in full_run.findings:
        by.setdefault(f.detector, []).append(f)
    hot = by["hotspot"]
    assert [f.path for f in hot][:1] == ["pkg/core.py"]
    assert hot[0].metadata["rank"] == 1 and hot[0].metadata["revisions"] == 6
    assert {fn["qualname"] for fn in hot[0].metadata["functions"]} >= {"pkg.core.busy"}
    coupled = by["change-coupling"]
    assert [(f.path, f.metadata["coupled_with"]) for f in coupled] == [("pkg/core.py", "pkg/helpers.py")]
    assert coupled[0].metadata["shared_commits"] == 5
    # util and other change together too, but other imports util: not hidden, no finding
    risk = by["knowledge-risk"]
    ignored = {history_repo["shas"]["reformat"]}
    expected = []
    for path, facts in sorted(full_run.files.items()):
        want = oracle_file(history_repo["root"], path, ignored)
        if facts.role == "source" and want["main"] == CAROL[1] and want["share"] >= 0.5 and want["knowledge"][CAROL[1]] >= 5:
            expected.append(path)
    assert [f.path for f in risk] == expected
    assert "legacy/carol.py" in expected and "pkg/bobs.py" not in expected  # bob is active
    assert {f.metadata["main_author"] for f in risk} == {"Carol"}
    assert all(f.severity == "info" for f in hot + coupled + risk)
    assert full_run.timings["history"] >= 0
    assert full_run.metrics["history"]["hotspots"][0]["path"] == "pkg/core.py"
    assert "@" not in str(full_run.metrics["history"])  # no e-mail address in the digest
    assert full_run.history_commits and full_run.history is not None


def test_findings_in_hotspots_come_first_among_equals(full_run):
    ranked = ranked_findings(full_run.findings)
    for earlier, later in itertools.pairwise(ranked):
        if earlier.severity == later.severity:
            assert earlier.metadata.get("hotspot_score", 0) >= later.metadata.get("hotspot_score", 0)
    marked = [f for f in full_run.findings if f.path == "pkg/core.py"]
    assert marked and all(f.metadata["hotspot_rank"] == 1 for f in marked)


def test_history_stage_off_by_config_argument_or_without_git(history_repo, make_tree):
    off = analyze(history_repo["root"], workers=1, config={"history": {"enabled": False}})
    assert off.history is None and "history" not in off.timings
    assert not any(f.detector in ("hotspot", "change-coupling", "knowledge-risk") for f in off.findings)
    assert analyze(history_repo["root"], workers=1, history=False).history is None
    plain = make_tree({"pkg/__init__.py": "", "pkg/a.py": "def f():\n    return 1\n"})
    assert analyze(plain, workers=1).history is None
    # a directory inside a repository has no history of its own
    assert analyze(history_repo["root"] / "pkg", workers=1).history is None


def test_bad_history_configuration_is_a_config_error(history_repo):
    with pytest.raises(ConfigError):
        analyze(history_repo["root"], workers=1, config={"history": {"months": -1}})


def test_html_report_shows_the_hotspot_map(full_run, make_tree):
    from analysis.engine.reports import render

    page = render(full_run, "html")
    section = page.split('id="hotspots"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<tr><td>(\d+)</td><td class="path">([^<]+)</td>', section)
    assert rows[0] == ("1", "pkg/core.py")
    assert [path for _, path in rows] == [h["path"] for h in full_run.metrics["history"]["hotspots"]]
    # each bar is in proportion to its score (the hottest at 70 % of the cell, its figure beside it)
    hotspots = full_run.metrics["history"]["hotspots"]
    widths = [int(w) for w in re.findall(r'class="heat" style="width:(\d+)%', section)]
    top = max(h["score"] for h in hotspots)
    assert widths == [max(2, round(70 * h["score"] / top)) for h in hotspots]
    plain = analyze(make_tree({"a.py": "def f():\n    return 1\n"}), workers=1)
    assert 'id="hotspots"' not in render(plain, "html")


def test_module_coupling_between_directories(history_repo, analysed):
    root = history_repo["root"]
    options = HistoryOptions(months=24, min_shared=1)
    current = git(root, "ls-files").split()
    report = compute(
        analysed["mined"].commits, current, files=analysed["result"].files, imports=analysed["imports"], options=options
    )
    ignored = {history_repo["shas"]["reformat"]}
    files = analysed["result"].files
    now = max(int(t) for t in git(root, "log", "--no-merges", "--format=%at").split())
    stamps: dict[str, dict[str, int]] = {}
    for path, facts in files.items():
        if facts.role == "vendored":
            continue
        directory = path.rpartition("/")[0]
        stamps.setdefault(directory, {}).update(oracle_file(root, path, ignored)["timestamps"])

    def w(ts):
        return 0.5 ** ((now - ts) / DAY / options.half_life_days)

    expected = {}
    for a, b in itertools.combinations(sorted(stamps), 2):
        both = set(stamps[a]) & set(stamps[b])
        if len(both) >= options.min_shared:
            sw = sum(w(stamps[a][s]) for s in both)
            expected[(a, b)] = (len(both), sw / sum(map(w, stamps[a].values())), sw / sum(map(w, stamps[b].values())))
    got = {(c.a, c.b): c for c in report.module_couplings}
    assert set(got) == set(expected) and expected
    for pair, (shared, ab, ba) in expected.items():
        assert (got[pair].shared, got[pair].confidence_ab, got[pair].confidence_ba) == (
            shared,
            pytest.approx(ab, abs=1e-6),
            pytest.approx(ba, abs=1e-6),
        )
        assert got[pair].hidden  # no directory imports another here


def test_real_history_of_this_repository_matches_git_log_follow():
    """Real code: this project's own recent history, every figure of its most changed files
    recomputed from ``git log --follow --numstat`` over the same commits."""
    from analysis.engine.history import is_history_root
    from analysis.engine.history.mining import tracked_files

    root = Path(__file__).resolve().parents[2]
    if not is_history_root(root):
        pytest.skip("not run from a git checkout")
    mined = mine_history(root, HistoryOptions(months=1200, max_commits=300))
    window = {c.sha for c in mined.commits}
    ignored = {c.sha for c in mined.commits if c.ignored}
    report = compute(mined.commits, tracked_files(root, mined.head))
    top = sorted(report.files.values(), key=lambda h: (-h.revisions, h.path))[:5]
    assert top and top[0].revisions > 1
    for h in top:
        want = oracle_file(root, h.path, ignored | (set(git(root, "rev-list", "--no-merges", "HEAD").split()) - window))
        assert (h.revisions, h.added, h.removed, h.authors) == (
            want["revisions"],
            want["added"],
            want["removed"],
            want["authors"],
        )
        assert h.main_author_share == want["share"]


def test_incremental_mining_applies_a_grown_ignore_list_to_stored_commits(history_repo):
    root = history_repo["root"]
    first = mine_history(root, HistoryOptions(months=24))
    stored = [CommitFacts.from_dict(c.to_dict()) for c in first.commits]
    target = stored[3].sha
    assert not stored[3].ignored
    again = mine_history(root, HistoryOptions(months=24, ignore_revs=[target[:10]]), known=stored)
    assert again.incremental and again.new_commits == 0
    assert {c.sha for c in again.commits if c.ignored} == {target, history_repo["shas"]["reformat"]}
