"""Engine configuration: defaults, the analysed repository's ``repotoire.toml`` (or
``[tool.repotoire]`` in ``pyproject.toml``) and programmatic overrides.

Example ``repotoire.toml``::

    exclude = ["docs/**", "scripts/legacy_*.py"]
    max_file_size = 500000          # bytes; larger files are skipped ("too_large")
    layers = ["app.web", "app.services", "app.domain"]   # top layer first
    languages = ["python", "typescript"]   # default: every supported language

    [detectors.high-cyclomatic-complexity]
    max_complexity = 20
    severity = "high"

    [detectors.todo-comment]
    enabled = false

    [detectors.high-cyclomatic-complexity.typescript]   # per-language thresholds
    max_complexity = 15

    [roles]                         # file roles (roles.py): only "source" counts in the score
    test = ["qa/**"]
    source = ["examples/real_app/**"]

Every key of a ``[detectors.<id>]`` table other than ``enabled`` and ``severity`` is a threshold
override for that detector; a sub-table named after a language overrides thresholds for that
language's files only (tree-sitter languages). In ``pyproject.toml`` the same keys live under ``[tool.repotoire]``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.engine.context import DetectorSettings
from analysis.engine.globs import GlobError, check_globs
from analysis.engine.languages import ALL_LANGUAGES
from analysis.engine.model import Severity
from analysis.engine.registry import DetectorSpec
from analysis.engine.roles import RoleConfigError, parse_role_globs

CONFIG_FILENAMES = ("repotoire.toml", ".repotoire.toml")
DEFAULT_MAX_FILE_SIZE = 1_000_000


class ConfigError(ValueError):
    """The analysed repository's configuration is malformed."""


@dataclass
class DetectorConfig:
    enabled: bool = True
    severity: Severity | None = None
    thresholds: dict[str, Any] = field(default_factory=dict)


@dataclass
class EngineConfig:
    """Effective configuration of one analysis."""

    exclude: list[str] = field(default_factory=list)  # gitignore-style globs, relative to the root
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    use_gitignore: bool = True
    default_excludes: bool = True
    detectors: dict[str, DetectorConfig] = field(default_factory=dict)
    # Layers for layer-violation, top first: a module may import from its own layer and the
    # layers below it. An entry is a module prefix, or a list of prefixes forming one layer.
    layers: list[str | list[str]] = field(default_factory=list)
    # [roles]: gitignore-style globs per file role (roles.py), e.g. {"test": ["qa/**"]}
    roles: dict[str, list[str]] = field(default_factory=dict)
    # languages to analyse (None: every supported one): `languages = ["python", "typescript"]`
    languages: list[str] | None = None
    include_declarations: bool = False  # analyse TypeScript declaration files (*.d.ts) too
    options: dict[str, Any] = field(default_factory=dict)  # any other top-level key, kept verbatim
    source_file: str | None = None  # the file the configuration was read from

    # --- queries used by the pipeline and the detectors --------------------------------------
    def is_enabled(self, detector_id: str) -> bool:
        d = self.detectors.get(detector_id)
        return d.enabled if d is not None else True

    def severity_for(self, spec: DetectorSpec) -> Severity:
        d = self.detectors.get(spec.id)
        return d.severity if d is not None and d.severity is not None else spec.severity

    def threshold(self, spec: DetectorSpec | str, name: str) -> Any:
        """The configured value of one of ``spec.thresholds``, else the spec's default.

        Given a detector id instead of a spec, there is no default to fall back on: an
        unconfigured threshold raises ``KeyError``."""
        did = spec if isinstance(spec, str) else spec.id
        d = self.detectors.get(did)
        if d is not None and name in d.thresholds:
            return d.thresholds[name]
        if isinstance(spec, str):
            raise KeyError(name)
        return spec.thresholds[name]

    def detector_settings(self) -> dict[str, DetectorSettings]:
        """Per-detector settings in the shape ``FileContext.settings`` expects."""
        return {did: DetectorSettings(thresholds=dict(d.thresholds), severity=d.severity) for did, d in self.detectors.items()}

    def fingerprint(self) -> str:
        """Hash of everything that changes file-local results; incremental runs compare it."""
        data = {
            "exclude": self.exclude,
            "max_file_size": self.max_file_size,
            "use_gitignore": self.use_gitignore,
            "default_excludes": self.default_excludes,
            "detectors": {
                k: [v.enabled, v.severity.value if v.severity else None, v.thresholds] for k, v in sorted(self.detectors.items())
            },
            "layers": self.layers,
            "options": self.options,
        }
        # only when set, so that the fingerprint of a configuration without them is unchanged
        if self.languages is not None:
            data["languages"] = sorted(self.languages)
        if self.include_declarations:
            data["include_declarations"] = True
        if self.roles:
            data["roles"] = self.roles
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source_file: str | None = None) -> EngineConfig:
        return cls(source_file=source_file).merged(data)

    def merged(self, overrides: Mapping[str, Any]) -> EngineConfig:
        """A copy with ``overrides`` (same shape as the TOML file) applied on top."""
        new = copy.deepcopy(self)
        for key, value in overrides.items():
            if key == "exclude":
                new.exclude = [*new.exclude, *_globs(key, _str_list(key, value))]
            elif key in ("max_file_size", "max-file-size"):
                if not isinstance(value, int) or value <= 0:
                    raise ConfigError("max_file_size must be a positive integer (bytes)")
                new.max_file_size = value
            elif key in ("use_gitignore", "default_excludes", "include_declarations"):
                setattr(new, key, bool(value))
            elif key == "languages":
                new.languages = _languages(value)
            elif key == "layers":
                new.layers = _layers(value)
            elif key == "roles":
                try:
                    for role, globs in parse_role_globs(value).items():
                        new.roles[role] = [*new.roles.get(role, []), *_globs(f"[roles] {role}", globs)]
                except RoleConfigError as exc:
                    raise ConfigError(str(exc)) from exc
            elif key == "detectors":
                if not isinstance(value, Mapping):
                    raise ConfigError("[detectors] must be a table of detector ids")
                for did, table in value.items():
                    new.detectors[did] = _merge_detector(new.detectors.get(did), did, table)
            else:
                new.options[key] = value
        return new

    @classmethod
    def load(cls, root: str | Path, overrides: Mapping[str, Any] | None = None) -> EngineConfig:
        """Configuration of the repository at ``root`` with ``overrides`` applied on top."""
        config = cls()
        root = Path(root)
        for name in CONFIG_FILENAMES:
            path = root / name
            if path.is_file():
                config = cls.from_mapping(read_toml(path), source_file=name)
                break
        else:
            pyproject = root / "pyproject.toml"
            if pyproject.is_file():
                section = read_toml(pyproject).get("tool", {}).get("repotoire")
                if isinstance(section, Mapping):
                    config = cls.from_mapping(section, source_file="pyproject.toml")
        return config.merged(overrides) if overrides else config


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: {exc}") from exc
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively: a hostile file of a few
        # kilobytes exhausts the interpreter's stack.
        raise ConfigError(f"{path.name}: arrays or inline tables are nested too deeply to read") from None


def _globs(key: str, globs: list[str]) -> list[str]:
    try:
        return check_globs(key, globs)
    except GlobError as exc:
        raise ConfigError(str(exc)) from exc


def _str_list(key: str, value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{key} must be a list of strings")
    return list(value)


def _languages(value: Any) -> list[str]:
    names = [v.lower() for v in _str_list("languages", value)]
    unknown = [n for n in names if n not in ALL_LANGUAGES]
    if unknown:
        raise ConfigError(f"languages: unknown language(s) {', '.join(unknown)} (known: {', '.join(ALL_LANGUAGES)})")
    # a language of ALL_LANGUAGES without a front end yet is accepted and analyses nothing
    return names


def _layers(value: Any) -> list[str | list[str]]:
    if not isinstance(value, list):
        raise ConfigError("layers must be a list")
    layers: list[str | list[str]] = []
    for item in value:
        if isinstance(item, str):
            layers.append(item)
        elif isinstance(item, list) and all(isinstance(v, str) for v in item):
            layers.append(list(item))
        else:
            raise ConfigError("each layer must be a module prefix or a list of prefixes")
    return layers


def _merge_detector(current: DetectorConfig | None, did: str, table: Any) -> DetectorConfig:
    d = copy.deepcopy(current) if current is not None else DetectorConfig()
    if isinstance(table, bool):  # `detectors.todo-comment = false` shorthand
        d.enabled = table
        return d
    if not isinstance(table, Mapping):
        raise ConfigError(f"[detectors.{did}] must be a table")
    for key, value in table.items():
        if key == "enabled":
            d.enabled = bool(value)
        elif key == "severity":
            try:
                d.severity = Severity.parse(value)
            except ValueError as exc:
                raise ConfigError(f"[detectors.{did}] severity {value!r} is not a severity") from exc
        else:
            d.thresholds[key] = value
    return d
