# House rule for the runtime: no function in runtime/loopscope over 80 lines (def line to last
# line, nested functions counted on their own and inside their parent), except the allowlist.
from __future__ import annotations

import ast
import os
import unittest
from typing import Dict, List, Tuple

MAX_LINES = 80
PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "loopscope")

# "file:qualified name" -> why it may be longer. The one deliberate exception of the runtime is
# the inlined run loop: BaseEventLoop._run_once regenerated with the per-step bookkeeping inlined
# (no call per step). It is compiled at install time from the running CPython's own source plus
# the _READY_LOOP template in _runloop.py (data, not a function here), so no function in these
# files needs an entry today; a hand-written function that must be long is added here with its
# reason, and an entry that no longer names a long function fails the test.
ALLOWED: Dict[str, str] = {}


def long_functions(source: str, filename: str) -> List[Tuple[str, int]]:
    """(file:qualified name, length in lines) of every function in `source` over MAX_LINES."""
    found: List[Tuple[str, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    length = (child.end_lineno or child.lineno) - child.lineno + 1
                    if length > MAX_LINES:
                        found.append(("%s:%s" % (filename, name), length))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source, filename), "")
    return found


def _package_sources() -> Dict[str, str]:
    out: Dict[str, str] = {}
    for name in sorted(os.listdir(PACKAGE)):
        if name.endswith(".py"):
            with open(os.path.join(PACKAGE, name), encoding="utf-8") as fh:
                out[name] = fh.read()
    return out


class FunctionLengthTest(unittest.TestCase):
    def test_no_function_over_80_lines(self) -> None:
        sources = _package_sources()
        self.assertIn("_runloop.py", sources)  # the package was found and read
        found = [f for name, src in sources.items() for f in long_functions(src, name)]
        over = ["%s (%d lines)" % (where, n) for where, n in found if where not in ALLOWED]
        self.assertEqual(over, [], "functions over %d lines in runtime/loopscope: split them, or add "
                         "them to ALLOWED in this file with the reason they must stay long" % MAX_LINES)
        stale = sorted(set(ALLOWED) - {where for where, _n in found})
        self.assertEqual(stale, [], "ALLOWED names functions that are no longer over %d lines" % MAX_LINES)

    def test_the_check_sees_long_and_nested_functions(self) -> None:
        def fn(name: str, lines: int, indent: str = "") -> str:  # source of a function `lines` long
            return indent + "def %s():\n" % name + "".join(indent + "    x = %d\n" % i for i in range(lines - 1))

        src = fn("fits", MAX_LINES) + "class C:\n    def outer(self):\n" + fn("inner", MAX_LINES + 1, " " * 8)
        self.assertEqual(long_functions(src, "x.py"), [("x.py:C.outer", MAX_LINES + 2),
                                                       ("x.py:C.outer.inner", MAX_LINES + 1)])


if __name__ == "__main__":
    unittest.main()
