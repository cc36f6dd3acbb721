"""Load and validate framework files, reporting errors with the file and line."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from policyaudit.framework.schema import Framework, Standard

BUILTIN_DIR = Path(__file__).resolve().parent
DEFAULT_FRAMEWORK = "ng225-inpatient"


class FrameworkError(Exception):
    """A framework file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class LoadedFramework:
    framework: Framework
    path: Path
    sha256: str  # of the file bytes: recorded with every run

    def standard_hash(self, standard: Standard) -> str:
        """Hash of one standard, so that editing one standard re-judges only that one."""
        payload = json.dumps(standard.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()


def builtin_paths() -> dict[str, Path]:
    return {p.stem: p for p in sorted(BUILTIN_DIR.glob("*.yaml"))}


def resolve(name_or_path: str | Path | None) -> Path:
    """A built-in framework id, or a path to a user's YAML file."""
    if name_or_path is None:
        name_or_path = DEFAULT_FRAMEWORK
    builtins = builtin_paths()
    if str(name_or_path) in builtins:
        return builtins[str(name_or_path)]
    path = Path(name_or_path)
    if not path.is_file():
        known = ", ".join(builtins) or "none"
        raise FrameworkError(f"{path}: no such framework file (built-in frameworks: {known})")
    return path


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """Follow a pydantic error location through the YAML node tree to a 1-based line."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == key), None)
            if match is None:
                # the key is missing or extra: the nearest line is the mapping or the key itself
                extra = next((k for k, _ in node.value if k.value == key), None)
                return extra.start_mark.line + 1 if extra is not None else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                return line
            node = node.value[key]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def _format_errors(path: Path, root: yaml.Node | None, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of(root, loc)
        prefix = f"{path}:{line}" if line else f"{path}"
        lines.append(f"{prefix}: {where}: {err['msg']}")
    return "\n".join(lines)


def load_framework(name_or_path: str | Path | None = None) -> LoadedFramework:
    path = resolve(name_or_path)
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise FrameworkError(f"{where}: not valid YAML: {problem}") from exc
    if not isinstance(data, dict):
        raise FrameworkError(f"{path}:1: a framework file must be a mapping with 'standards'")
    try:
        framework = Framework.model_validate(data)
    except ValidationError as exc:
        raise FrameworkError(_format_errors(path, root, exc)) from exc
    return LoadedFramework(framework, path, hashlib.sha256(raw).hexdigest())
