"""Rooms a newcomer can read (issue 24): no Python file over 700 lines, no function over
120, no JavaScript file over 600. Past those, a module is doing more than one thing."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import parse_source

ROOT = Path(__file__).resolve().parent.parent / "onebeat"
MAX_PY_LINES, MAX_FUNCTION_LINES, MAX_JS_LINES = 700, 120, 600


def test_no_python_file_or_function_too_long() -> None:
    long = []
    for f in sorted(ROOT.rglob("*.py")):
        text = f.read_text(encoding="utf-8")
        if text.count("\n") > MAX_PY_LINES:
            long.append(f"{f.relative_to(ROOT)}: {text.count(chr(10))} lines")
        for node in ast.walk(parse_source(text, f)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{f.relative_to(ROOT)}: {node.name} is {n} lines")
    assert long == []


def test_no_javascript_file_too_long() -> None:
    long = [
        f"{f.name}: {f.read_text(encoding='utf-8').count(chr(10))} lines"
        for f in sorted((ROOT / "web" / "static").glob("*.js"))
        if f.read_text(encoding="utf-8").count("\n") > MAX_JS_LINES
    ]
    assert long == []
