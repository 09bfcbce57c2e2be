"""Rule-based fixers (libcst rewrites) and their registry."""

from fixes.fixers.base import FindingRef, Fixer, RuleFix, all_fixers, covered_detectors, fixers_for, rule_fix, unified_diff

__all__ = ["FindingRef", "Fixer", "RuleFix", "all_fixers", "covered_detectors", "fixers_for", "rule_fix", "unified_diff"]
