# Wire protocol v1 (docs/protocol.md §1), Python side: the codec. NDJSON encoding and the
# validating decoder for every message, event, request and response body. The tables, TypedDicts
# and field validators are generated from protocol/schema.json into _wire_schema.py (re-exported
# here; run `npm run gen:protocol` after changing the schema). Bytes and dicts only: no sockets,
# no asyncio. Mirrored by extension/protocol/wire.ts; both are checked against test/fixtures/wire/.
from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional

from ._wire_schema import (  # noqa: F401 - re-exported: the protocol's tables and shapes
    COMMANDS, DEFAULT_OPTIONS, EVENT_KINDS, EVENTS, FINDING_KINDS, MAX_LINE_BYTES, MESSAGES,
    PACKAGE_VERSION, PAUSE_ON_FILTERS, PROTOCOL_VERSION, REQUESTS, RESPONSES, SCHEMA_SHA256, WAIT_KINDS,
    Attach, Capabilities, EventsBatch, Frame, Hello, Location, Refused, Request, Response, WaitTarget,
    Welcome, WireError, _fail, validate_event,
)

__all__ = [
    "PROTOCOL_VERSION", "MAX_LINE_BYTES", "WireError", "encode", "encode_chunks", "decode", "validate_message",
    "validate_event", "validate_request_args", "validate_response_body", "EVENT_KINDS",
    "WAIT_KINDS", "FINDING_KINDS", "PAUSE_ON_FILTERS", "COMMANDS", "DEFAULT_OPTIONS", "version_refusal",
    "PACKAGE_VERSION", "SCHEMA_SHA256", "Location", "WaitTarget", "Frame", "Capabilities", "Hello", "Attach", "Welcome",
    "Refused", "EventsBatch", "Request", "Response",
]


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


# --- validation (the field checks are generated; the rules that span fields live here) --------


def validate_message(msg: Any) -> None:
    """Validate envelope and, for known commands/events, the payload. Raises WireError."""
    if not isinstance(msg, dict):
        _fail("message", "a JSON object", msg)
    t = msg.get("type")
    if not isinstance(t, str):
        raise WireError("message: missing string field 'type'")
    check = MESSAGES.get(t)
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


def validate_request_args(command: str, args: Any) -> None:
    check = REQUESTS.get(command)
    if check is None:
        raise WireError("request: unknown command %r" % command)
    check(args, command + ".args")


def validate_response_body(command: str, body: Any) -> None:
    """Responses do not name their command; the requester validates the body against what it asked."""
    check = RESPONSES.get(command)
    if check is None:
        raise WireError("response: unknown command %r" % command)
    check(body, command + ".body")
