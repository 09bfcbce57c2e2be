"""The calibration figures in README.md and docs/scoring.md are the last measurement's
(benchmarks/results/calibration.json, written with them by `benchmarks.calibrate_score --write`)."""

from __future__ import annotations

import copy

from benchmarks import calibration_figures as figures
from benchmarks.calibrate_score import PROJECTS, TARGETS


def test_documented_calibration_figures_are_the_measured_ones():
    results = figures.load()
    for path, (name, generated) in figures.blocks(results).items():
        documented = figures.block_in(path.read_text(encoding="utf-8"), name)
        assert documented is not None, f"{path.name} lost its {name} markers"
        assert documented == generated, f"{path.name} differs from {figures.RESULTS.name}: run {figures.COMMAND}"


def test_the_measurement_covers_every_project_and_meets_its_target():
    results = figures.load()
    assert set(results["projects"]) == set(PROJECTS)
    for name, row in results["projects"].items():
        assert row["grade"] in TARGETS[name], f"{name} grades {row['grade']}, target {TARGETS[name]}"


def test_a_changed_figure_changes_the_documented_text():
    results = figures.load()
    changed = copy.deepcopy(results)
    changed["projects"]["flask"]["overall"] += 1.0
    assert figures.readme_block(changed) != figures.readme_block(results)
    assert figures.scoring_block(changed) != figures.scoring_block(results)
    assert figures.block_in("no markers here", "calibration") is None
