// Protocol generator, part 3: the Python output, runtime/loopscope/_wire_schema.py. Standard
// library only and importable on its own (no package-relative imports), so a test can load a copy
// generated from a modified schema. Holds the tables, TypedDicts and combinator validators that
// the hand-written codec runtime/loopscope/_wire.py uses; validation errors name the field path.

import { dependencyOrder, enumTableName } from './gen-protocol-model.mjs';

const snake = (s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toLowerCase();
const PY_CHECK = { int: '_int', integer: '_integer', num: '_num', str: '_str', bool: '_bool', object: '_any_obj', unknown: '_any' };
const PY_TYPE = { int: 'int', integer: 'int', num: 'float', str: 'str', bool: 'bool', object: 'Dict[str, Any]', unknown: 'Any', WireEvent: 'Dict[str, Any]' };
const pyStr = (s) => JSON.stringify(s); // JSON string literals are valid Python literals for our ASCII/escaped text

function pyLiteral(v) {
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (v === null) return 'None';
  if (Array.isArray(v)) return `[${v.map(pyLiteral).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${pyStr(k)}: ${pyLiteral(x)}`).join(', ')}}`;
  return JSON.stringify(v);
}

function makeChecker(enums) {
  const enumNames = new Set(enums.map((e) => e.name));
  return (t) => {
    let c;
    if (t.name === 'WireEvent') c = '_events_list';
    else c = PY_CHECK[t.name] ?? (enumNames.has(t.name) ? `_e_${snake(t.name)}` : `_s_${snake(t.name)}`);
    if (t.array === 1 && t.name !== 'WireEvent') c = `_list(${c})`;
    return t.nullable ? `_nullable(${c})` : c;
  };
}

function makeTyper(enums) {
  const enumNames = new Set(enums.map((e) => e.name));
  return (t, optional) => {
    let s = PY_TYPE[t.name] ?? (enumNames.has(t.name) ? 'str' : t.name);
    for (let i = 0; i < t.array && t.name !== 'WireEvent'; i++) s = `List[${s}]`;
    if (t.name === 'WireEvent') s = 'List[Dict[str, Any]]';
    if (t.nullable) s = `Optional[${s}]`;
    return optional ? `NotRequired[${s}]` : s;
  };
}

function objSpec(fields, check, extra = {}, exactlyOne, indent = '') {
  const items = [...Object.entries(extra), ...fields.map((f) => [`${f.name}${f.optional ? '?' : ''}`, check(f.type)])];
  let body = items.map(([k, c]) => `${pyStr(k)}: ${c}`).join(', ');
  if (body.length > 90) body = `\n${items.map(([k, c]) => `${indent}    ${pyStr(k)}: ${c},`).join('\n')}\n${indent}`;
  return exactlyOne ? `_obj({${body}}, exactly_one=(${exactlyOne.map(pyStr).join(', ')}))` : `_obj({${body}})`;
}

function typedDict(name, fields, typer, extra = []) {
  const items = [...extra, ...fields.map((f) => [f.name, typer(f.type, f.optional)])];
  const one = `${name} = TypedDict(${pyStr(name)}, {${items.map(([k, t]) => `${pyStr(k)}: ${t}`).join(', ')}})`;
  if (one.length <= 110) return one;
  return `${name} = TypedDict(${pyStr(name)}, {\n${items.map(([k, t]) => `    ${pyStr(k)}: ${t},`).join('\n')}\n})`;
}

const PRELUDE = `from __future__ import annotations

import json
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover - 3.9/3.10 have no NotRequired; Optional keeps the typing honest enough
    from typing import TypedDict

    NotRequired = Optional  # type: ignore[assignment]


class WireError(ValueError):
    """A message that does not conform to the protocol; the text says which field and why."""


Check = Callable[[Any, str], None]


def _fail(path: str, what: str, v: Any) -> None:
    raise WireError("%s: expected %s, got %s" % (path, what, _short(v)))


def _short(v: Any) -> str:
    try:
        s = json.dumps(v)
    except Exception:
        s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


def _str(v: Any, p: str) -> None:
    if not isinstance(v, str):
        _fail(p, "a string", v)


def _int(v: Any, p: str) -> None:
    if type(v) is not int or v < 0:
        _fail(p, "a non-negative integer", v)


def _integer(v: Any, p: str) -> None:
    if type(v) is not int:
        _fail(p, "an integer", v)


def _num(v: Any, p: str) -> None:
    if type(v) not in (int, float) or v != v:
        _fail(p, "a number", v)


def _bool(v: Any, p: str) -> None:
    if type(v) is not bool:
        _fail(p, "a boolean", v)


def _any(v: Any, p: str) -> None:
    pass


def _any_obj(v: Any, p: str) -> None:
    if not isinstance(v, dict):
        _fail(p, "an object", v)


def _nullable(c: Check) -> Check:
    def check(v: Any, p: str) -> None:
        if v is not None:
            c(v, p)
    return check


def _list(c: Check) -> Check:
    def check(v: Any, p: str) -> None:
        if not isinstance(v, list):
            _fail(p, "an array", v)
        for i, x in enumerate(v):
            c(x, "%s[%d]" % (p, i))
    return check


def _enum(allowed: "frozenset[str]") -> Check:
    def check(v: Any, p: str) -> None:
        if v not in allowed:
            _fail(p, "one of " + "|".join(sorted(allowed)), v)
    return check


def _obj(spec: Dict[str, Check], exactly_one: Tuple[str, ...] = ()) -> Check:
    """Object with required keys \`k\` and optional keys \`k?\`; extra keys are allowed (forward compat)."""
    fields = [(k.rstrip("?"), k.endswith("?"), c) for k, c in spec.items()]

    def check(v: Any, p: str) -> None:
        if not isinstance(v, dict):
            _fail(p, "an object", v)
        for name, optional, c in fields:
            if name in v:
                c(v[name], p + "." + name)
            elif not optional:
                raise WireError("%s: missing field %r" % (p, name))
    if not exactly_one:
        return check

    def check_one_of(v: Any, p: str) -> None:
        check(v, p)
        if sum(1 for k in exactly_one if k in v) != 1:
            raise WireError("%s: exactly one of %s is required" % (p, " or ".join(repr(k) for k in exactly_one)))
    return check_one_of


def validate_event(ev: Any, path: str = "event") -> None:
    """Validate one event. Unknown kinds are accepted if they carry \`kind\` and \`ts\` (forward compat)."""
    _EVENT_ENVELOPE(ev, path)
    check = EVENTS.get(ev["kind"])
    if check is not None:
        check(ev, path + "(" + ev["kind"] + ")")


def _events_list(v: Any, p: str) -> None:
    if not isinstance(v, list):
        _fail(p, "an array", v)
    for i, ev in enumerate(v):
        validate_event(ev, "%s[%d]" % (p, i))


_EVENT_ENVELOPE = _obj({"kind": _str, "ts": _num})`;

function validators(model, check) {
  const out = [];
  out.push(model.enums.filter((x) => !x.dap).map((e) => `_e_${snake(e.name)} = _enum(${enumTableName(e.name)})`).join('\n'));
  out.push(dependencyOrder(model.shapes).map((s) => `_s_${snake(s.name)} = ${objSpec(s.fields, check)}`).join('\n'));
  const env = { kind: '_str', ts: '_num' };
  out.push(`EVENTS: Dict[str, Check] = {\n${model.events.map((e) => `    ${pyStr(e.kind)}: ${objSpec(e.fields, check, env, undefined, '    ')},`).join('\n')}\n}`);
  out.push('EVENT_KINDS = frozenset(EVENTS)');
  out.push(`MESSAGES: Dict[str, Check] = {\n${model.messages.map((m) => `    ${pyStr(m.type)}: ${objSpec(m.fields, check, {}, undefined, '    ')},`).join('\n')}\n}`);
  const payload = (p) => (p.empty ? '_any_obj' : p.ref ? check(p.ref) : objSpec(p.shape.fields, check, {}, p.shape.exactlyOne, '    '));
  out.push(`REQUESTS: Dict[str, Check] = {\n${model.requests.map((r) => `    ${pyStr(r.command)}: ${payload(r.args)},`).join('\n')}\n}`);
  out.push('COMMANDS = frozenset(REQUESTS)');
  out.push(`RESPONSES: Dict[str, Check] = {\n${model.requests.map((r) => `    ${pyStr(r.command)}: ${payload(r.body)},`).join('\n')}\n}`);
  return out;
}

function typedDicts(model) {
  const typer = makeTyper(model.enums);
  const env = [['kind', 'str'], ['ts', 'float']];
  const payloads = model.requests.flatMap((r) => [r.args, r.body].filter((p) => p.shape).map((p) => p.shape));
  const dapNames = new Set(model.dap.shapes.map((s) => s.name));
  const aliases = model.requests.flatMap((r) => [[r.args, r.argsName], [r.body, r.bodyName]])
    .filter(([p, name]) => !p.shape && !dapNames.has(name))
    .map(([p, name]) => `${name} = ${p.empty ? 'Dict[str, Any]' : typer(p.ref, false)}`);
  return [
    '# TypedDicts: the same names as the TypeScript side (messages as _wire.py has always named them).',
    dependencyOrder(model.shapes).map((s) => typedDict(s.name, s.fields, typer)).join('\n'),
    model.events.map((e) => typedDict(e.typeName, e.fields, typer, env)).join('\n'),
    model.messages.map((m) => typedDict(m.pyName, m.fields, typer, [['type', 'str']])).join('\n'),
    payloads.map((p) => typedDict(p.name, p.fields, typer)).join('\n'),
    aliases.join('\n'),
  ];
}

export function emitPython(model, schemaHash) {
  const check = makeChecker(model.enums);
  const tables = model.enums.filter((e) => !e.dap).map((e) => `${enumTableName(e.name)} = frozenset({${e.values.map(pyStr).join(', ')}})`);
  const defaults = Object.entries(model.options).map(([k, o]) => `    ${pyStr(k)}: ${pyLiteral(o.default)},`).join('\n');
  return [
    '# GENERATED by scripts/gen-protocol.mjs from protocol/schema.json: do not edit by hand.',
    '# Change the schema and run `npm run gen:protocol`; runtime/tests/test_wire_fixtures.py fails while',
    '# this file differs from what the generator writes. Tables, TypedDicts and validators of the wire',
    '# protocol, used by _wire.py (the codec). Standard library only.',
    PRELUDE,
    `PACKAGE_VERSION = ${pyStr(model.version)}`,
    `PROTOCOL_VERSION = ${model.protocol}`,
    `MAX_LINE_BYTES = ${model.maxLineBytes}`,
    '# Pre-authentication budget of a listener: bytes buffered per peer, peers at once.',
    `PREAUTH_MAX_BYTES = ${model.preAuth.maxBytes}`,
    `PREAUTH_MAX_CONNECTIONS = ${model.preAuth.maxConnections}`,
    `SCHEMA_SHA256 = ${pyStr(schemaHash)}`,
    tables.join('\n'),
    `DEFAULT_OPTIONS: Dict[str, Any] = {\n${defaults}\n}`,
    ...validators(model, check),
    ...typedDicts(model),
  ].join('\n\n') + '\n';
}
