# Wire protocol v1 (docs/protocol.md §1), Python side: typed message shapes, NDJSON encoding and
# a validating decoder for every message, event, request and response body. Bytes and dicts only:
# no sockets, no asyncio. Mirrored by extension/protocol/wire.ts; both are checked against
# test/fixtures/wire/.
from __future__ import annotations

import json
import sys
from typing import Any, Callable, Dict, List, Mapping, Optional

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover - 3.9/3.10 have no NotRequired; total=False keeps the typing honest enough
    from typing import TypedDict

    NotRequired = Optional  # type: ignore[assignment]

__all__ = [
    "PROTOCOL_VERSION", "MAX_LINE_BYTES", "WireError", "encode", "encode_chunks", "decode", "validate_message",
    "validate_event", "validate_request_args", "validate_response_body", "EVENT_KINDS",
    "WAIT_KINDS", "FINDING_KINDS", "PAUSE_ON_FILTERS", "COMMANDS", "DEFAULT_OPTIONS", "version_refusal",
    "Location", "WaitTarget", "Frame", "Capabilities", "Hello", "Attach", "Welcome", "Refused",
    "EventsBatch", "Request", "Response",
]

PROTOCOL_VERSION = 1
MAX_LINE_BYTES = 16 * 1024 * 1024

WAIT_KINDS = frozenset({
    "sleep", "task", "gather", "future", "queue.get", "queue.put", "lock", "event", "condition",
    "semaphore", "stream.read", "stream.write", "socket.read", "socket.write", "subprocess",
    "executor", "yield", "other",
})
FINDING_KINDS = frozenset({
    "never-awaited", "blocking-call", "unretrieved-exception", "destroyed-pending", "stall",
})
# Event filters for the `pauseOn` option (the adapter's exception-breakpoint filter ids).
PAUSE_ON_FILTERS = frozenset({
    "task-failed", "task-cancelled", "never-awaited", "blocking-call", "unretrieved-exception", "stall",
})
DEFAULT_OPTIONS: Dict[str, Any] = {
    "stopOnEntry": False, "blockingThresholdMs": 100, "stepEvents": False,
    "flushIntervalMs": 20, "maxFinishedTasks": 10000, "pauseOn": [],
}


class Location(TypedDict):
    file: str
    line: int


class WaitTarget(TypedDict, total=False):
    kind: str
    label: str
    detail: str
    untilEpochMs: float
    task: int
    tasks: List[int]
    future: int
    site: Location


class Frame(TypedDict):
    id: int
    name: str
    file: str
    line: int
    kind: str
    internal: bool


class Capabilities(TypedDict, total=False):
    tickControl: bool
    callbackStepping: bool
    awaitChains: bool
    locals: bool
    cancel: bool
    eagerTasks: bool
    loopImplementations: List[str]


class Hello(TypedDict):
    type: str
    protocol: int
    token: NotRequired[str]
    pid: int
    python: str
    implementation: str
    executable: str
    argv: List[str]
    cwd: str
    startEpochMs: float
    capabilities: Capabilities


class Attach(TypedDict):
    type: str
    protocol: int
    token: str
    client: NotRequired[str]


class Welcome(TypedDict):
    type: str
    protocol: int
    options: NotRequired[Dict[str, Any]]


class Refused(TypedDict):
    type: str
    reason: str


class EventsBatch(TypedDict):
    type: str
    seq: int
    dropped: int
    events: List[Dict[str, Any]]


class Request(TypedDict):
    type: str
    id: int
    command: str
    args: NotRequired[Dict[str, Any]]


class Response(TypedDict):
    type: str
    id: int
    ok: bool
    body: NotRequired[Dict[str, Any]]
    error: NotRequired[str]


class WireError(ValueError):
    """A message that does not conform to protocol v1; the text says which field and why."""


# --- encoding ---------------------------------------------------------------------------------

# ASCII output (non-ASCII as \u escapes): CPython's C encoder is about twice as fast that way, and
# a lone surrogate (a str from surrogateescape'd bytes) is still valid JSON.
_encoder = json.JSONEncoder(separators=(",", ":"), allow_nan=False, check_circular=False, default=repr)


# Events per encoder call: the C encoder holds the GIL for a whole call, and a writer thread that
# holds it while the OS runs something else stalls the program's loop (a false blocking-call);
# in slices the GIL can change hands between them.
ENCODE_SLICE = 256


def encode(msg: Mapping[str, Any]) -> bytes:
    """One message as one NDJSON line (bytes, trailing newline). json never emits raw newlines."""
    return b"".join(encode_chunks(msg))


def encode_chunks(msg: Mapping[str, Any]) -> List[bytes]:
    """encode(msg) in pieces that concatenate to the line: a large batch is written piece by
    piece, never copied whole (a few 100 KB copies per batch would stay in the process's heap)."""
    events = msg.get("events")
    if type(events) is list and len(events) > ENCODE_SLICE:
        head = {k: v for k, v in msg.items() if k != "events"}
        head["events"] = []
        chunks = [_encode_text(head)[:-2].encode("ascii")]  # head ends with "events":[]}
        for i in range(0, len(events), ENCODE_SLICE):
            part = _encode_text(events[i:i + ENCODE_SLICE])
            chunks.append(part[1:-1].encode("ascii") + (b"," if i + ENCODE_SLICE < len(events) else b"]}\n"))
    else:
        chunks = [_encode_text(msg).encode("ascii") + b"\n"]
    size = sum(len(c) for c in chunks) - 1
    if size > MAX_LINE_BYTES:
        raise WireError("message of %d bytes exceeds the %d byte line limit" % (size, MAX_LINE_BYTES))
    return chunks


def _encode_text(obj: Any) -> str:
    try:
        return _encoder.encode(obj)
    except ValueError:  # NaN/inf slipped into a number: encode them as null rather than lose the batch
        return json.dumps(_scrub_nan(obj), separators=(",", ":"), default=repr)


def _scrub_nan(v: Any) -> Any:
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return None
    if isinstance(v, dict):
        return {k: _scrub_nan(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_scrub_nan(x) for x in v]
    return v


def decode(line: "bytes | str") -> Dict[str, Any]:
    """Parse and validate one line; raises WireError with an actionable message."""
    if isinstance(line, bytes):
        if len(line.rstrip(b"\r\n")) > MAX_LINE_BYTES:
            raise WireError("line exceeds %d bytes" % MAX_LINE_BYTES)
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as e:
            raise WireError("line is not UTF-8: %s" % e) from None
    try:
        msg = json.loads(line)
    except ValueError as e:
        raise WireError("line is not JSON: %s" % e) from None
    validate_message(msg)
    return msg


def version_refusal(their: Any) -> Optional[str]:
    """None if `their` protocol version is spoken here, else the refusal reason the doc prescribes."""
    if their == PROTOCOL_VERSION and type(their) is int:
        return None
    return "protocol %s not supported; this runtime speaks %d" % (json.dumps(their), PROTOCOL_VERSION)


# --- validation primitives --------------------------------------------------------------------

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


def _num(v: Any, p: str) -> None:
    if type(v) not in (int, float) or v != v:
        _fail(p, "a number", v)


def _bool(v: Any, p: str) -> None:
    if type(v) is not bool:
        _fail(p, "a boolean", v)


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


def _enum(*values: str) -> Check:
    allowed = frozenset(values)

    def check(v: Any, p: str) -> None:
        if v not in allowed:
            _fail(p, "one of " + "|".join(sorted(allowed)), v)
    return check


def _obj(spec: Dict[str, Check]) -> Check:
    """Object with required keys `k` and optional keys `k?`; extra keys are allowed (forward compat)."""
    fields = [(k.rstrip("?"), k.endswith("?"), c) for k, c in spec.items()]

    def check(v: Any, p: str) -> None:
        if not isinstance(v, dict):
            _fail(p, "an object", v)
        for name, optional, c in fields:
            if name in v:
                c(v[name], p + "." + name)
            elif not optional:
                raise WireError("%s: missing field %r" % (p, name))
    return check


def _any_obj(v: Any, p: str) -> None:
    if not isinstance(v, dict):
        _fail(p, "an object", v)


_location = _obj({"file": _str, "line": _int})
_nloc = _nullable(_location)
_wait_target = _obj({
    "kind": _enum(*WAIT_KINDS), "label": _str, "detail?": _str, "untilEpochMs?": _num,
    "task?": _int, "tasks?": _list(_int), "future?": _int, "site?": _location,
})
_frame = _obj({
    "id": _int, "name": _str, "file": _str, "line": _int,
    "kind": _enum("coroutine", "async_generator", "generator", "function"), "internal": _bool,
})
_woken_by = _nullable(_obj({"task?": _int, "label": _str}))
_thread = _obj({"id": _int, "name": _str})
_options = _obj({
    "stopOnEntry?": _bool, "blockingThresholdMs?": _num, "stepEvents?": _bool,
    "flushIntervalMs?": _num, "maxFinishedTasks?": _int, "pauseOn?": _list(_str),
})
_capabilities = _obj({
    "tickControl?": _bool, "callbackStepping?": _bool, "awaitChains?": _bool, "locals?": _bool,
    "cancel?": _bool, "eagerTasks?": _bool, "loopImplementations?": _list(_str), "pauseOn?": _bool,
})
_exception = _obj({"type": _str, "message": _str, "location": _nloc})
_cancelled_by = _obj({"task": _nullable(_int), "location": _nloc, "label?": _str})
_outcome = _enum("result", "exception", "cancelled")

# Field sets shared between events and snapshot records.
_LOOP_FIELDS: Dict[str, Check] = {
    "loop": _int, "thread": _thread, "cls": _str, "tickControl": _bool, "callbackStepping?": _bool,
}
_TASK_CREATED_FIELDS: Dict[str, Check] = {
    "task": _int, "name": _str, "coro": _str, "site": _nloc, "parent": _nullable(_int),
    "loop": _int, "thread": _int, "eager": _bool,
}
_TASK_STATE_FIELDS: Dict[str, Check] = {
    "task": _int, "state": _enum("running", "ready", "waiting"), "steps": _int, "busyMs": _num,
    "waitingOn": _nullable(_wait_target), "wokenBy": _woken_by, "tick": _int,
}
_TASK_DONE_FIELDS: Dict[str, Check] = {
    "task": _int, "outcome": _outcome, "result": _nullable(_str), "exception": _nullable(_exception),
    "cancelledBy": _nullable(_cancelled_by), "steps": _int, "busyMs": _num,
    "lastWaitingOn?": _nullable(_wait_target),  # added within v1: optional for decoders
}
_FUTURE_FIELDS: Dict[str, Check] = {
    "future": _int, "loop": _int, "label": _str, "site": _nloc, "awaitedBy": _list(_int),
}
_STATS_FIELDS: Dict[str, Check] = {
    "tasksLive": _int, "tasksTotal": _int, "futuresLive": _int, "dropped": _int,
    "retainedFinished": _int,
}
_TICK_FIELDS: Dict[str, Check] = {
    "loop": _int, "tick": _int, "ready": _int, "timers": _int, "selectMs": _num,
}
_chain = _obj({"task": _int, "frames": _list(_frame)})


def _ev(fields: Dict[str, Check]) -> Check:
    return _obj(dict(fields, kind=_str, ts=_num))


_EVENTS: Dict[str, Check] = {
    "loop.created": _ev(_LOOP_FIELDS),
    "loop.closed": _ev({"loop": _int}),
    "task.created": _ev(_TASK_CREATED_FIELDS),
    "task.state": _ev(_TASK_STATE_FIELDS),
    "task.step": _ev({"task": _int, "tick": _int, "durationMs": _num, "wokenBy": _woken_by,
                      "waitingOn": _nullable(_wait_target)}),
    "task.done": _ev(_TASK_DONE_FIELDS),
    "future.created": _ev(_FUTURE_FIELDS),
    "future.done": _ev({"future": _int, "outcome": _outcome}),
    "loop.ticks": _ev(dict(_TICK_FIELDS, count=_int)),
    "tick": _ev(_TICK_FIELDS),
    "finding": _ev({
        "finding": _int, "findingKind": _enum(*FINDING_KINDS), "message": _str, "location": _nloc,
        "task": _nullable(_int), "durationMs": _nullable(_num), "chains?": _list(_chain),
    }),
    "paused": _ev({
        "loop": _int, "tick": _int,
        "reason": _enum("entry", "pause", "step-tick", "step-callback", "task-stepped", "exception", "finding"),
        "description": _str, "ran": _list(_obj({"task?": _int, "label": _str})),
        "trigger?": _obj({"filter": _str, "task": _nullable(_int), "finding": _nullable(_int)}),
    }),
    "resumed": _ev({"loop": _int}),
    "stats": _ev(_STATS_FIELDS),
    "process.exit": _ev({"code": _int}),
}
EVENT_KINDS = frozenset(_EVENTS)


def validate_event(ev: Any, path: str = "event") -> None:
    """Validate one event. Unknown kinds are accepted if they carry `kind` and `ts` (forward compat)."""
    _obj({"kind": _str, "ts": _num})(ev, path)
    check = _EVENTS.get(ev["kind"])
    if check is not None:
        check(ev, path + "(" + ev["kind"] + ")")


def _events_list(v: Any, p: str) -> None:
    if not isinstance(v, list):
        _fail(p, "an array", v)
    for i, ev in enumerate(v):
        validate_event(ev, "%s[%d]" % (p, i))


def _protocol(v: Any, p: str) -> None:
    if type(v) is not int:
        _fail(p, "an integer protocol version", v)


_MESSAGES: Dict[str, Check] = {
    "hello": _obj({
        "protocol": _protocol, "token?": _str, "pid": _int, "python": _str, "implementation": _str,
        "executable": _str, "argv": _list(_str), "cwd": _str, "startEpochMs": _num,
        "capabilities": _capabilities,
    }),
    "attach": _obj({"protocol": _protocol, "token": _str, "client?": _str}),
    "welcome": _obj({"protocol": _protocol, "options?": _options}),
    "refused": _obj({"reason": _str}),
    "events": _obj({"seq": _int, "dropped": _int, "events": _events_list}),
    "request": _obj({"id": _int, "command": _str, "args?": _any_obj}),
    "response": _obj({"id": _int, "ok": _bool, "body?": _any_obj, "error?": _str}),
}


def validate_message(msg: Any) -> None:
    """Validate envelope and, for known commands/events, the payload. Raises WireError."""
    if not isinstance(msg, dict):
        _fail("message", "a JSON object", msg)
    t = msg.get("type")
    if not isinstance(t, str):
        raise WireError("message: missing string field 'type'")
    check = _MESSAGES.get(t)
    if check is None:
        raise WireError("message: unknown type %r" % t)
    check(msg, t)
    if t == "request":
        validate_request_args(msg["command"], msg.get("args", {}))
    elif t == "response":
        if msg["ok"] and "body" not in msg:
            raise WireError("response: ok response without 'body'")
        if not msg["ok"] and "error" not in msg:
            raise WireError("response: failed response without 'error'")


_loop_arg = _obj({"loop?": _int})
_REQUESTS: Dict[str, Check] = {
    "pause": _loop_arg,
    "continue": _loop_arg,
    "stepTick": _loop_arg,
    "stepCallback": _loop_arg,
    "runUntilTaskSteps": _obj({"task": _int}),
    "cancelTask": _obj({"task": _int, "message?": _str}),
    "snapshot": _any_obj,
    "awaitChain": _obj({"task": _int}),
    "variables": _obj({"frame?": _int, "ref?": _int}),
    "setOptions": _options,
    "evaluate": _obj({"frame": _int, "expression": _str}),
}
COMMANDS = frozenset(_REQUESTS)


def validate_request_args(command: str, args: Any) -> None:
    check = _REQUESTS.get(command)
    if check is None:
        raise WireError("request: unknown command %r" % command)
    check(args, command + ".args")
    if command == "variables" and ("frame" in args) == ("ref" in args):
        raise WireError("variables.args: exactly one of 'frame' or 'ref' is required")


_empty = _any_obj
_variable = _obj({"name": _str, "value": _str, "type": _str, "ref": _int})
_task_snapshot = _obj(dict(
    _TASK_CREATED_FIELDS, **{k: c for k, c in _TASK_STATE_FIELDS.items() if k != "state"},
    state=_enum("running", "ready", "waiting", "done"),
    **{k.rstrip("?") + "?": c for k, c in _TASK_DONE_FIELDS.items() if k not in ("task", "steps", "busyMs")},
))
_loop_snapshot = _obj(dict(_LOOP_FIELDS, tick=_int, paused=_bool, closed=_bool))
_RESPONSES: Dict[str, Check] = {
    "pause": _empty, "continue": _empty, "stepTick": _empty, "stepCallback": _empty,
    "runUntilTaskSteps": _empty, "setOptions": _empty,
    "cancelTask": _obj({"cancelled": _bool}),
    "snapshot": _obj({
        "loops": _list(_loop_snapshot), "tasks": _list(_task_snapshot),
        "futures": _list(_obj(_FUTURE_FIELDS)), "stats": _obj(_STATS_FIELDS),
    }),
    "awaitChain": _obj({"frames": _list(_frame)}),
    "variables": _obj({"variables": _list(_variable)}),
    "evaluate": _obj({"value": _str, "type": _str, "ref": _int}),
}


def validate_response_body(command: str, body: Any) -> None:
    """Responses do not name their command; the requester validates the body against what it asked."""
    check = _RESPONSES.get(command)
    if check is None:
        raise WireError("response: unknown command %r" % command)
    check(body, command + ".body")
