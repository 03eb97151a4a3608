# Validates every shared wire fixture (test/fixtures/wire) with _wire.py, the Python decoder, and
# checks the fixtures cover every message type, event kind, wait kind and command in the protocol.
from __future__ import annotations

import json
import pathlib
import unittest

from loopscope import _wire

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "test" / "fixtures" / "wire"


def _valid_files():
    return sorted(FIXTURES.glob("*.json"))


class WireFixtureTest(unittest.TestCase):
    def test_every_valid_fixture_decodes(self) -> None:
        files = _valid_files()
        self.assertGreater(len(files), 20)
        for f in files:
            with self.subTest(fixture=f.name):
                text = f.read_text("utf-8")
                msg = _wire.decode(json.dumps(json.loads(text)))
                # Round trip through the encoder: still one line, still valid.
                line = _wire.encode(msg)
                self.assertEqual(line.count(b"\n"), 1)
                self.assertEqual(_wire.decode(line), msg)
                if f.name.startswith("response-") and msg["ok"]:
                    _wire.validate_response_body(f.stem[len("response-"):], msg["body"])

    def test_every_invalid_fixture_is_rejected(self) -> None:
        files = sorted((FIXTURES / "invalid").glob("*.json"))
        self.assertGreater(len(files), 10)
        for f in files:
            with self.subTest(fixture=f.name):
                with self.assertRaises(_wire.WireError):
                    _wire.decode(f.read_bytes())

    def test_fixtures_cover_the_whole_protocol(self) -> None:
        types, kinds, waits, commands, bodies = set(), set(), set(), set(), set()
        for f in _valid_files():
            msg = json.loads(f.read_text("utf-8"))
            types.add(msg["type"])
            if msg["type"] == "events":
                for ev in msg["events"]:
                    kinds.add(ev["kind"])
                    for key in ("waitingOn",):
                        if ev.get(key):
                            waits.add(ev[key]["kind"])
            elif msg["type"] == "request":
                commands.add(msg["command"])
            elif msg["type"] == "response" and msg["ok"]:
                bodies.add(f.stem[len("response-"):])
        self.assertEqual(types, {"hello", "attach", "welcome", "refused", "events", "request", "response"})
        self.assertEqual(_wire.EVENT_KINDS - kinds, set())
        self.assertEqual(_wire.WAIT_KINDS - waits, set())
        self.assertEqual(_wire.COMMANDS - commands, set())
        self.assertEqual(_wire.COMMANDS - bodies, set())

    def test_decoder_errors_are_actionable(self) -> None:
        with self.assertRaises(_wire.WireError) as cm:
            _wire.decode(b'{"type":"events","seq":1,"dropped":0,"events":[{"kind":"task.state","ts":1}]}')
        self.assertIn("missing field 'task'", str(cm.exception))
        with self.assertRaises(_wire.WireError) as cm:
            _wire.decode(b"not json\n")
        self.assertIn("not JSON", str(cm.exception))

    def test_version_refusal_names_both_versions(self) -> None:
        self.assertIsNone(_wire.version_refusal(1))
        self.assertEqual(_wire.version_refusal(2), "protocol 2 not supported; this runtime speaks 1")
        self.assertIsNotNone(_wire.version_refusal(True))

    def test_encode_never_emits_raw_newlines_or_nan(self) -> None:
        line = _wire.encode({"type": "refused", "reason": "a\nb", "x": float("nan")})
        self.assertEqual(line.count(b"\n"), 1)
        self.assertEqual(json.loads(line)["x"], None)

    def test_encode_is_ascii_and_keeps_every_character(self) -> None:
        # Task names and reprs can hold any text, even a lone surrogate from surrogateescape'd
        # bytes: the line is ASCII (\\u escapes) and decodes back to the same strings.
        reason = "tâche \u4efb\u52a1 \U0001f600 \udc80"
        line = _wire.encode({"type": "refused", "reason": reason})
        line.decode("ascii")
        self.assertEqual(json.loads(line)["reason"], reason)
        self.assertEqual(_wire.decode(line)["reason"], reason)

    def test_a_batch_encoded_in_slices_is_the_same_line(self) -> None:
        # Large batches are encoded a slice of events at a time (the GIL can change hands between
        # slices); the line must be byte for byte what one call would give, NaN scrubbing included.
        n = _wire.ENCODE_SLICE * 3 + 5
        events = [{"kind": "stats", "ts": float(i), "tasksLive": float("nan") if i == 300 else i,
                   "tasksTotal": i, "futuresLive": 0, "dropped": 0, "retainedFinished": 0} for i in range(n)]
        batch = {"type": "events", "seq": 9, "dropped": 2, "events": events}
        line = _wire.encode(batch)
        events[300]["tasksLive"] = None
        self.assertEqual(line, (json.dumps(batch, separators=(",", ":")) + "\n").encode("ascii"))
        self.assertEqual(len(json.loads(line)["events"]), n)


if __name__ == "__main__":
    unittest.main()
