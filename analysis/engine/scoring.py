"""Health score: overall 0-100, grade A-F and four pillar scores.

The formula (documented for users in ``docs/scoring.md``):

* Only findings that ``count`` do: those of source files (``roles.py``) that are not security
  hotspots; the code lines are those of source files.

* Every finding belongs to one pillar through its category and weighs
  ``severity_weight x confidence`` points (critical 10, high 5, medium 2, low 0.5, info 0).
* A pillar's *density* is its points per thousand code lines (kLOC, at least ``min_kloc``), so a
  big healthy project is not punished for its size. The density is mapped through
  ``100 x 2 ** (-density / half_density)``: every ``half_density`` points per kLOC halve the score.
* Security is capped by its worst finding (a critical one caps it at 65 at full confidence).
* Maintainability mixes the density score with the technical-debt ratio (remediation minutes of
  its findings / (30 min x code lines), rated on SonarQube's bands A <= 5 %, B <= 10 %, C <= 20 %,
  D <= 50 %) and the duplicated-lines percentage when the pipeline measured it.
* Overall = weighted mean of the pillars; grade A >= 90, B >= 80, C >= 70, D >= 60, else F.

Every step is a non-increasing function of the set of findings, so adding a finding never raises
any score (``tests/engine/test_scoring.py`` checks this property on random findings).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from analysis.engine.facts import FileFacts, HealthScore
from analysis.engine.model import Category, Finding, Role, Severity

FORMULA_VERSION = 2

SECURITY = "security"
RELIABILITY = "reliability"
MAINTAINABILITY = "maintainability"
ARCHITECTURE = "architecture"
PILLARS: tuple[str, ...] = (SECURITY, RELIABILITY, MAINTAINABILITY, ARCHITECTURE)

# Performance findings (query-in-loop, regex-compile-in-loop, string-concat-in-loop) describe how
# the code behaves when it runs, not how hard it is to change, so they count against reliability.
CATEGORY_PILLAR: dict[str, str] = {
    Category.SECURITY.value: SECURITY,
    Category.BUG_RISK.value: RELIABILITY,
    Category.PERFORMANCE.value: RELIABILITY,
    Category.COMPLEXITY.value: MAINTAINABILITY,
    Category.DESIGN.value: MAINTAINABILITY,
    Category.DEAD_CODE.value: MAINTAINABILITY,
    Category.DUPLICATION.value: MAINTAINABILITY,
    Category.DOCUMENTATION.value: MAINTAINABILITY,
    Category.TESTING.value: MAINTAINABILITY,
    Category.ARCHITECTURE.value: ARCHITECTURE,
}

GRADE_BANDS: tuple[tuple[float, str], ...] = ((90.0, "A"), (80.0, "B"), (70.0, "C"), (60.0, "D"))


@dataclass(frozen=True)
class ScoreConfig:
    """Constants of the formula. ``compute_score`` accepts one of these or a mapping of overrides."""

    severity_weights: Mapping[str, float] = field(
        default_factory=lambda: {"critical": 10.0, "high": 5.0, "medium": 2.0, "low": 0.5, "info": 0.0}
    )
    # Weighted points per kLOC that halve a pillar's density score.
    half_density: Mapping[str, float] = field(
        default_factory=lambda: {SECURITY: 8.0, RELIABILITY: 30.0, MAINTAINABILITY: 50.0, ARCHITECTURE: 15.0}
    )
    pillar_weights: Mapping[str, float] = field(
        default_factory=lambda: {SECURITY: 0.30, RELIABILITY: 0.25, MAINTAINABILITY: 0.30, ARCHITECTURE: 0.15}
    )
    # Ceiling of the security pillar set by its worst finding at confidence 1.0; a finding with
    # confidence c lowers the ceiling by c x (100 - cap).
    security_caps: Mapping[str, float] = field(default_factory=lambda: {"critical": 65.0, "high": 85.0})
    debt_minutes_per_line: float = 30.0
    # (debt ratio, score) knots, linearly interpolated: SonarQube's rating bands A/B/C/D land on
    # this project's grade boundaries 90/80/70/60.
    debt_knots: tuple[tuple[float, float], ...] = (
        (0.0, 100.0),
        (0.05, 90.0),
        (0.10, 80.0),
        (0.20, 70.0),
        (0.50, 60.0),
        (1.00, 0.0),
    )
    # (duplicated lines %, score) knots.
    duplication_knots: tuple[tuple[float, float], ...] = (
        (0.0, 100.0),
        (5.0, 90.0),
        (10.0, 80.0),
        (20.0, 65.0),
        (50.0, 0.0),
    )
    # How the maintainability pillar mixes its three parts (duplication's share goes to the
    # other two, pro rata, when the duplication metric is missing).
    maintainability_mix: Mapping[str, float] = field(default_factory=lambda: {"density": 0.5, "debt": 0.3, "duplication": 0.2})
    min_kloc: float = 0.1

    def __post_init__(self) -> None:
        """Refuse settings that would break the guarantees (monotone, 0-100, no division by 0)."""
        problems = []
        if any(w < 0 for w in self.severity_weights.values()):
            problems.append("severity_weights must be >= 0")
        if any(self.half_density.get(p, 0) <= 0 for p in PILLARS):
            problems.append("half_density must be > 0 for every pillar")
        if any(self.pillar_weights.get(p, -1) < 0 for p in PILLARS) or sum(self.pillar_weights.get(p, 0) for p in PILLARS) <= 0:
            problems.append("pillar_weights must be >= 0 for every pillar, with a positive sum")
        if any(not 0 <= cap <= 100 for cap in self.security_caps.values()):
            problems.append("security_caps must lie in 0-100")
        for name in ("debt_knots", "duplication_knots"):
            knots = sorted(getattr(self, name))
            ys = [y for _, y in knots]
            xs = [x for x, _ in knots]
            if not knots or len(set(xs)) != len(xs) or ys != sorted(ys, reverse=True) or not all(0 <= y <= 100 for y in ys):
                problems.append(f"{name} must be distinct x values with non-increasing scores in 0-100")
        mix = self.maintainability_mix
        if any(mix.get(k, -1) < 0 for k in ("density", "debt", "duplication")) or mix.get("density", 0) + mix.get("debt", 0) <= 0:
            problems.append("maintainability_mix needs density, debt and duplication >= 0, density + debt > 0")
        if self.debt_minutes_per_line <= 0 or self.min_kloc <= 0:
            problems.append("debt_minutes_per_line and min_kloc must be > 0")
        if problems:
            raise ValueError("invalid score settings: " + "; ".join(problems))

    @classmethod
    def from_value(cls, value: ScoreConfig | Mapping[str, Any] | None) -> ScoreConfig:
        if value is None:
            return cls()
        if isinstance(value, ScoreConfig):
            return value
        base = cls()
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"unknown score settings: {', '.join(unknown)}")
        changes: dict[str, Any] = {}
        for name, override in value.items():
            current = getattr(base, name)
            if isinstance(current, Mapping):
                changes[name] = {**current, **dict(override)}
            elif isinstance(current, tuple):
                changes[name] = tuple(tuple(knot) for knot in override)
            else:
                changes[name] = float(override)
        return replace(base, **changes)


def grade_for(score: float) -> str:
    for threshold, grade in GRADE_BANDS:
        if score >= threshold:
            return grade
    return "F"


def sonar_debt_rating(ratio: float) -> str:
    """SonarQube's maintainability rating of a technical-debt ratio (A <= 5 % ... E > 50 %)."""
    for limit, rating in ((0.05, "A"), (0.10, "B"), (0.20, "C"), (0.50, "D")):
        if ratio <= limit:
            return rating
    return "E"


def pillar_of(category: str | Category) -> str:
    value = category.value if isinstance(category, Category) else str(category)
    return CATEGORY_PILLAR.get(value, MAINTAINABILITY)


def _severity(value: str | Severity) -> str:
    try:
        return Severity.parse(value).value
    except ValueError:
        return Severity.MEDIUM.value


def _confidence(finding: Finding) -> float:
    try:
        value = float(finding.confidence)
    except (TypeError, ValueError):
        return 1.0
    if math.isnan(value):
        return 1.0
    return min(1.0, max(0.0, value))


def _interpolate(knots: Iterable[tuple[float, float]], x: float) -> float:
    """Piecewise-linear, non-increasing curve through ``knots``; flat beyond the last knot."""
    points = sorted(knots)
    if x <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[-1][1]


def _density_score(density: float, half: float) -> float:
    return 100.0 * math.pow(2.0, -density / half)


def _round(value: float) -> float:
    return round(value, 1)


def compute_score(
    findings: list[Finding],
    files: dict[str, FileFacts],
    metrics: dict[str, Any] | None = None,
    config: ScoreConfig | Mapping[str, Any] | None = None,
) -> HealthScore:
    """Health score of an analysed project. Deterministic and monotone: see the module docstring."""
    cfg = ScoreConfig.from_value(config)
    metrics = metrics or {}
    # Only source files' issues and vulnerabilities count: tests, examples, vendored and generated
    # code, and security hotspots (patterns without evidence), are listed but not scored; the
    # density is per kLOC of source code for the same reason.
    listed = len(findings)
    findings = [f for f in findings if f.counts]
    code_lines = sum(max(0, int(f.code_lines)) for f in files.values() if f.role == Role.SOURCE)
    kloc = max(code_lines / 1000.0, cfg.min_kloc)

    per_pillar: dict[str, dict[str, Any]] = {
        p: {
            "findings": 0,
            "by_severity": {s.value: 0 for s in Severity},
        }
        for p in PILLARS
    }
    # math.fsum is exactly rounded, so the sums do not depend on the order of the findings and
    # never decrease when a finding is added (a plain running float sum can wobble by an ulp).
    points: dict[str, list[float]] = {p: [] for p in PILLARS}
    efforts: dict[str, list[float]] = {p: [] for p in PILLARS}
    security_cap = 100.0
    for finding in findings:
        pillar = pillar_of(finding.category)
        severity = _severity(finding.severity)
        confidence = _confidence(finding)
        bucket = per_pillar[pillar]
        bucket["findings"] += 1
        bucket["by_severity"][severity] += 1
        points[pillar].append(cfg.severity_weights.get(severity, 0.0) * confidence)
        efforts[pillar].append(max(0.0, float(finding.effort_minutes or 0)) * confidence)
        if pillar == SECURITY and severity in cfg.security_caps:
            cap = 100.0 - (100.0 - cfg.security_caps[severity]) * confidence
            security_cap = min(security_cap, cap)

    raw: dict[str, float] = {}
    effort: dict[str, float] = {}
    for pillar in PILLARS:
        bucket = per_pillar[pillar]
        weighted = math.fsum(points[pillar])
        effort[pillar] = math.fsum(efforts[pillar])
        density = weighted / kloc
        raw[pillar] = _density_score(density, cfg.half_density[pillar])
        bucket["weighted_points"] = round(weighted, 3)
        bucket["effort_minutes"] = round(effort[pillar], 1)
        bucket["density_per_kloc"] = round(density, 4)
        bucket["half_density"] = cfg.half_density[pillar]
        bucket["density_score"] = _round(raw[pillar])

    per_pillar[SECURITY]["cap"] = _round(security_cap)
    raw[SECURITY] = min(raw[SECURITY], security_cap)

    maintainability = per_pillar[MAINTAINABILITY]
    debt_ratio = effort[MAINTAINABILITY] / (cfg.debt_minutes_per_line * max(code_lines, 1))
    debt_score = _interpolate(cfg.debt_knots, debt_ratio)
    maintainability["debt_ratio"] = round(debt_ratio, 5)
    maintainability["debt_rating"] = sonar_debt_rating(debt_ratio)
    maintainability["debt_score"] = _round(debt_score)
    mix = dict(cfg.maintainability_mix)
    parts = {"density": raw[MAINTAINABILITY], "debt": debt_score}
    duplicated = metrics.get("duplicated_lines_percent")
    if isinstance(duplicated, int | float) and not math.isnan(duplicated):
        parts["duplication"] = _interpolate(cfg.duplication_knots, float(duplicated))
        maintainability["duplication_score"] = _round(parts["duplication"])
    total_mix = sum(mix[name] for name in parts)
    raw[MAINTAINABILITY] = sum(mix[name] * value for name, value in parts.items()) / total_mix
    maintainability["mix"] = {name: round(mix[name] / total_mix, 4) for name in parts}

    pillars = {pillar: _round(raw[pillar]) for pillar in PILLARS}
    for pillar in PILLARS:
        per_pillar[pillar]["score"] = pillars[pillar]
    weight_total = sum(cfg.pillar_weights[p] for p in PILLARS)
    overall = _round(sum(cfg.pillar_weights[p] * raw[p] for p in PILLARS) / weight_total)

    total_effort = math.fsum(effort.values())
    total_debt_ratio = total_effort / (cfg.debt_minutes_per_line * max(code_lines, 1))
    details: dict[str, Any] = {
        "formula_version": FORMULA_VERSION,
        "code_lines": code_lines,
        "kloc": round(code_lines / 1000.0, 3),
        "kloc_used": round(kloc, 3),
        "files": len(files),
        "test_files": sum(1 for f in files.values() if f.is_test),
        "findings": len(findings),
        "findings_not_counted": listed - len(findings),
        "duplicated_lines_percent": duplicated if isinstance(duplicated, int | float) else None,
        "total_effort_minutes": round(total_effort, 1),
        "total_debt_ratio": round(total_debt_ratio, 5),
        "total_debt_rating": sonar_debt_rating(total_debt_ratio),
        "severity_weights": dict(cfg.severity_weights),
        "pillar_weights": {p: cfg.pillar_weights[p] for p in PILLARS},
        "category_pillar": dict(CATEGORY_PILLAR),
        "pillars": per_pillar,
    }
    return HealthScore(overall=overall, grade=grade_for(overall), pillars=pillars, details=details)
