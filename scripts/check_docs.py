"""Run every command shown in the user's guide, so the guide cannot drift from the program.

Usage: python scripts/check_docs.py [DOCS_DIR] [--list] [--keep]

The convention (defined in docs/index.md): in a fenced ```console block, a line starting with
``$ policyaudit`` is a command; other lines are sample output and are not checked. A trailing
``# exit N`` names the exit status the command is documented to end with (default 0). Blocks of
any other kind (```text, ```yaml) are never run.

Placeholders in capitals stand for the reader's own paths and are replaced here:
CORPUS -> the bundled demo corpus, OUT -> one temporary output folder shared by every page,
GOLD -> tests/data/heldout/gold (the demo corpus's hand coding). Pages run in the order of the
contents list in docs/index.md (then any others, by name), each command in a temporary working
folder, with the ``policyaudit`` installed beside this Python. Commands that would start a
server (``policyaudit review`` without ``--help``) are refused: write them in ```text blocks.
Exit status: 0 when every command ended as documented, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GOLD = ROOT / "tests" / "data" / "heldout" / "gold"
TIMEOUT_S = 300

_FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)")
_EXIT = re.compile(r"#\s*exit\s+(\d+)\s*$")
_LINK = re.compile(r"\]\(([\w./-]+\.md)(?:#[\w-]*)?\)")
PLACEHOLDER = re.compile(r"\b(CORPUS|OUT|GOLD)\b")
SERVERS = ("review",)


@dataclass(frozen=True)
class Command:
    page: str
    line: int  # 1-based line in the page
    text: str  # as written, without the "$ "
    expected_exit: int


@dataclass(frozen=True)
class Result:
    command: Command
    argv: list[str]
    exit_code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.exit_code == self.command.expected_exit


def commands_of(page: Path) -> list[Command]:
    """The ``$ policyaudit`` lines of a page's console blocks."""
    out: list[Command] = []
    fence: str | None = None
    kind = ""
    for lineno, raw in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        m = _FENCE.match(raw)
        if m and fence is None:
            fence, kind = m.group(2), m.group(3)
            continue
        if m and fence is not None and m.group(2).startswith(fence) and not m.group(3):
            fence = None
            continue
        if fence is None or kind != "console":
            continue
        line = raw.strip()
        if not line.startswith("$ policyaudit"):
            continue
        text = line[2:]
        exit_match = _EXIT.search(text)
        expected = int(exit_match.group(1)) if exit_match else 0
        out.append(Command(page.name, lineno, text, expected))
    return out


def page_order(docs: Path) -> list[Path]:
    """index.md, then the pages in the order its contents list links them, then the rest."""
    pages = sorted(docs.glob("*.md"))
    index = docs / "index.md"
    order: list[Path] = [index] if index.exists() else []
    if index.exists():
        for name in _LINK.findall(index.read_text(encoding="utf-8")):
            path = docs / name
            if path.exists() and path not in order:
                order.append(path)
    return order + [p for p in pages if p not in order]


def collect(docs: Path = DOCS) -> list[Command]:
    return [c for page in page_order(docs) for c in commands_of(page)]


def policyaudit_executable() -> str:
    """The venv's console script, found beside the running Python (never another install)."""
    here = Path(sys.executable).parent / ("policyaudit.exe" if os.name == "nt" else "policyaudit")
    if here.exists():
        return str(here)
    found = shutil.which("policyaudit")
    if found is None:
        raise SystemExit("check_docs: no policyaudit beside this Python; install the project")
    return found


def argv_of(command: Command, places: dict[str, str], executable: str) -> list[str]:
    """Split like a shell (comments dropped), then replace placeholders in each word."""
    words = shlex.split(command.text, comments=True)
    words = [PLACEHOLDER.sub(lambda m: places[m.group(1)], w) for w in words]
    if words[1] in SERVERS and "--help" not in words:
        raise ValueError(f"{command.page}:{command.line}: starts a server; use a ```text block")
    return [executable, *words[1:]]


def run(commands: list[Command], keep: bool = False, echo: bool = True) -> list[Result]:
    """Run the commands in order, all sharing one OUT folder; each in a fresh working folder."""
    from policyaudit.demo import corpus_path

    executable = policyaudit_executable()
    base = Path(tempfile.mkdtemp(prefix="policyaudit-docs-"))
    out_dir = base / "out"
    out_dir.mkdir()
    places = {"CORPUS": str(corpus_path()), "OUT": str(out_dir), "GOLD": str(GOLD)}
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    results = []
    try:
        for i, command in enumerate(commands):
            try:
                argv = argv_of(command, places, executable)
            except ValueError as exc:  # refused, not run: a failure of the page
                results.append(Result(command, [], -2, "", str(exc), 0.0))
                if echo:
                    print(describe(results[-1]), flush=True)
                continue
            cwd = base / f"cwd{i:02d}"
            cwd.mkdir()
            t0 = time.perf_counter()
            try:
                proc = subprocess.run(
                    argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
                )
                code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
            except subprocess.TimeoutExpired as exc:
                code, stdout, stderr = -1, str(exc.stdout or ""), f"timed out after {TIMEOUT_S}s"
            result = Result(command, argv, code, stdout, stderr, time.perf_counter() - t0)
            results.append(result)
            if echo:
                print(describe(result), flush=True)
    finally:
        if keep:
            print(f"outputs kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return results


def describe(result: Result) -> str:
    c = result.command
    status = "ok  " if result.ok else "FAIL"
    line = f"{status} {c.page}:{c.line} ({result.seconds:.1f}s) $ {c.text}"
    if result.ok:
        return line
    tail = (result.stdout + result.stderr).strip().splitlines()[-15:]
    detail = "\n".join("       " + t for t in tail)
    return f"{line}\n       exit {result.exit_code}, documented {c.expected_exit}\n{detail}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("docs", nargs="?", type=Path, default=DOCS)
    ap.add_argument("--list", action="store_true", help="list the commands without running them")
    ap.add_argument("--keep", action="store_true", help="keep the temporary output folder")
    args = ap.parse_args(argv)
    commands = collect(args.docs)
    if not commands:
        print(f"check_docs: no console commands found under {args.docs}")
        return 1
    if args.list:
        for c in commands:
            print(f"{c.page}:{c.line}: $ {c.text}")
        return 0
    t0 = time.perf_counter()
    results = run(commands, keep=args.keep)
    failed = [r for r in results if not r.ok]
    print(
        f"{len(results) - len(failed)} of {len(results)} documented commands ran as documented "
        f"in {time.perf_counter() - t0:.0f}s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
