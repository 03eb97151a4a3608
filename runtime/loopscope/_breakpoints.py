# Breakpoint tables for the line debugger (issue 12): line breakpoints per file (condition,
# hitCondition, logMessage), their resolution to executable lines (moved to the next line with code),
# function breakpoints by qualified name, and the per-code-object lookups the tracing backends use.
from __future__ import annotations

import dis
import os
import re
import sys
import threading
import types
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

__all__ = ["Breakpoint", "FunctionBreakpoint", "TABLE", "norm_path", "executable_lines", "HitCondition"]


def norm_path(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


_HIT = re.compile(r"^\s*(==|>=|>|<=|<|%)?\s*(\d+)\s*$")


class HitCondition:
    """debugpy's forms: `5` / `==5` (the 5th hit), `>=5`, `>5`, `<5`, `<=5`, `%3` (every 3rd)."""

    def __init__(self, text: str) -> None:
        m = _HIT.match(text)
        if m is None:
            raise ValueError("hit condition %r is not understood: use N, ==N, >=N, >N, <N, <=N or %%N" % text)
        self.op = m.group(1) or "=="
        self.n = int(m.group(2))
        if self.op == "%" and self.n == 0:
            raise ValueError("hit condition %r: %%0 never matches" % text)

    def matches(self, hits: int) -> bool:
        op, n = self.op, self.n
        if op == "==":
            return hits == n
        if op == ">=":
            return hits >= n
        if op == ">":
            return hits > n
        if op == "<":
            return hits < n
        if op == "<=":
            return hits <= n
        return hits % n == 0


class Breakpoint:
    __slots__ = ("id", "file", "requested", "line", "condition", "cond_code", "hit", "log", "hits", "message",
                 "verified", "kind", "name")

    def __init__(self, bid: int, file: str, requested: int, condition: Optional[str], hit: Optional[str],
                 log: Optional[str]) -> None:
        self.id = bid
        self.file = file
        self.requested = requested
        self.line = requested
        self.condition = condition or None
        self.cond_code: Any = None
        self.hit: Optional[HitCondition] = None
        self.log = log if log else None
        self.hits = 0
        self.message: Optional[str] = None
        self.verified = False
        self.kind = "line"
        self.name = ""
        if self.condition:
            try:
                self.cond_code = compile(self.condition, "<breakpoint condition>", "eval")
            except SyntaxError as e:
                self.message = "condition %r does not compile: %s" % (self.condition, e.msg)
        if hit:
            try:
                self.hit = HitCondition(hit)
            except ValueError as e:
                self.message = str(e)

    def record(self) -> Dict[str, Any]:
        rec: Dict[str, Any] = {"id": self.id, "verified": self.verified, "line": self.line}
        if self.message:
            rec["message"] = self.message
        return rec


class FunctionBreakpoint(Breakpoint):
    __slots__ = ()

    def __init__(self, bid: int, name: str, condition: Optional[str], hit: Optional[str]) -> None:
        super().__init__(bid, "", 0, condition, hit, None)
        self.kind = "function"
        self.name = name.strip()

    def record(self) -> Dict[str, Any]:
        rec: Dict[str, Any] = {"id": self.id, "verified": self.verified}
        if self.message:
            rec["message"] = self.message
        if self.verified:
            rec["file"] = self.file
            rec["line"] = self.line
        return rec

    def matches_code(self, code: types.CodeType, module: Optional[str]) -> bool:
        qual = getattr(code, "co_qualname", code.co_name)
        name = self.name
        if name == qual or name == code.co_name and "." not in name:
            return True
        if module and name == module + "." + qual:
            return True
        return name.endswith("." + qual) and "<locals>" not in name


def code_lines(code: types.CodeType) -> List[int]:
    return [ln for _o, ln in dis.findlinestarts(code) if ln is not None and ln > 0]


def _walk_codes(code: types.CodeType) -> List[types.CodeType]:
    out = [code]
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            out.extend(_walk_codes(c))
    return out


def executable_lines(path: str) -> Tuple[Optional[FrozenSet[int]], Optional[str]]:
    """Lines of `path` that hold code (compiled with compile(), so before import), or an error text."""
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        return None, "cannot read %s: %s" % (path, e.strerror or e)
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as e:
        return None, "%s does not compile: %s" % (os.path.basename(path), getattr(e, "msg", None) or e)
    lines = set()
    for c in _walk_codes(code):
        lines.update(code_lines(c))
    return frozenset(lines), None


class Table:
    """All breakpoints. Written by the reader thread (under `lock`), read lock-free by the tracers
    through immutable snapshots (`by_file`, `func_bps`) swapped in whole."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.next_id = 0
        self.files: Dict[str, List[Breakpoint]] = {}
        # file -> {line: [Breakpoint]}: the tracers' view, replaced (never mutated) on change.
        self.by_file: Dict[str, Dict[int, List[Breakpoint]]] = {}
        self.func_bps: List[FunctionBreakpoint] = []
        self.any_function = [False]  # read by the 3.9-3.11 call tracer without an attribute lookup
        self.version = 0
        # code object -> {line: [Breakpoint]} or None (no breakpoint in it); reset on change.
        self.code_cache: Dict[Any, Optional[Dict[int, List[Breakpoint]]]] = {}
        self.fn_cache: Dict[Any, Optional[FunctionBreakpoint]] = {}

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def any(self) -> bool:
        return bool(self.by_file) or bool(self.func_bps)

    def set_file(self, file: str, specs: List[Dict[str, Any]]) -> List[Breakpoint]:
        path = norm_path(file)
        lines, err = executable_lines(path) if specs else (None, None)
        bps = []
        for spec in specs:
            bp = Breakpoint(self._id(), path, int(spec["line"]), spec.get("condition"),
                            spec.get("hitCondition"), spec.get("logMessage"))
            if bp.message is None:
                _place(bp, lines, err)
            bps.append(bp)
        with self.lock:
            if bps:
                self.files[path] = bps
            else:
                self.files.pop(path, None)
            self._rebuild()
        return bps

    def set_functions(self, specs: List[Dict[str, Any]]) -> List[FunctionBreakpoint]:
        fbs: List[FunctionBreakpoint] = []
        live: List[FunctionBreakpoint] = []
        for spec in specs:
            fb = FunctionBreakpoint(self._id(), str(spec["name"]), spec.get("condition"), spec.get("hitCondition"))
            usable = bool(fb.name) and fb.message is None
            if not fb.name:
                fb.message = "empty function name"
            elif usable:
                _resolve_function(fb)
            fbs.append(fb)
            if usable:
                live.append(fb)
        with self.lock:
            self.func_bps = live
            self.any_function[0] = bool(live)
            self._rebuild()
        return fbs

    def _rebuild(self) -> None:
        view: Dict[str, Dict[int, List[Breakpoint]]] = {}
        for path, bps in self.files.items():
            per: Dict[int, List[Breakpoint]] = {}
            for bp in bps:
                if bp.verified:
                    per.setdefault(bp.line, []).append(bp)
            if per:
                view[path] = per
        self.by_file = view
        self.version += 1
        # Cleared in place: the tracers hold these dicts (one lookup per call on 3.9-3.11).
        self.code_cache.clear()
        self.fn_cache.clear()

    def for_code(self, code: types.CodeType) -> Optional[Dict[int, List[Breakpoint]]]:
        """{line: breakpoints} for the lines of `code` that hold one, else None (cached)."""
        cache = self.code_cache
        try:
            return cache[code]
        except KeyError:
            pass
        version = self.version
        per = self.by_file.get(_code_path(code.co_filename))
        found: Optional[Dict[int, List[Breakpoint]]] = None
        if per:
            mine = {ln: per[ln] for ln in code_lines(code) if ln in per}
            found = mine or None
        if version == self.version:  # not answered from a table replaced meanwhile
            cache[code] = found
        return found

    def function_for(self, code: types.CodeType, module: Optional[str]) -> Optional[FunctionBreakpoint]:
        if not self.func_bps:
            return None
        cache = self.fn_cache
        try:
            return cache[code]
        except KeyError:
            pass
        found = None
        for fb in self.func_bps:
            if fb.matches_code(code, module):
                found = fb
                if not fb.verified:
                    fb.verified = True
                    fb.file = code.co_filename
                    fb.line = code.co_firstlineno
                break
        cache[code] = found
        return found


_path_cache: Dict[str, str] = {}


def _code_path(filename: str) -> str:
    p = _path_cache.get(filename)
    if p is None:
        p = _path_cache[filename] = norm_path(filename) if not filename.startswith("<") else filename
    return p


def _place(bp: Breakpoint, lines: Optional[FrozenSet[int]], err: Optional[str]) -> None:
    if lines is None:
        bp.message = err
        return
    if bp.requested in lines:
        bp.verified = True
        return
    later = [ln for ln in lines if ln > bp.requested]
    if not later:
        bp.message = "no code at or after line %d in %s" % (bp.requested, os.path.basename(bp.file))
        return
    bp.line = min(later)
    bp.verified = True
    bp.message = "moved from line %d: no code there" % bp.requested


def _resolve_function(fb: FunctionBreakpoint) -> None:
    """Find `module.Class.method` / `Class.method` / `func` among loaded modules now; otherwise it
    stays pending and is matched by name when such a function first runs."""
    parts = fb.name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        mod = sys.modules.get(".".join(parts[:i]))
        if mod is None:
            continue
        obj: Any = mod
        for attr in parts[i:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                break
        code = getattr(getattr(obj, "__func__", obj), "__code__", None)
        if isinstance(code, types.CodeType):
            fb.verified = True
            fb.file = code.co_filename
            fb.line = code.co_firstlineno
            return
    fb.message = "%s is not loaded yet: it will stop when a function with that name first runs" % fb.name


TABLE = Table()
