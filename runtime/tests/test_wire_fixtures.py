# Validates every shared wire fixture (test/fixtures/wire) with _wire.py, the Python decoder,
# checks the fixtures cover every message type, event kind, wait kind and command in the protocol,
# and checks the hash pin (protocol/generated.lock.json): the schema, every generated file, fixture
# and docs table are what scripts/gen-protocol.mjs last generated (no Node needed here).
from __future__ import annotations

import hashlib
import json
import pathlib
import unittest

import loopscope
from loopscope import _wire

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "test" / "fixtures" / "wire"
REGENERATE = "run `npm run gen:protocol` (never edit generated files or fixtures by hand)"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _doc_section(text: str, name: str) -> str:
    begin = "<!-- generated:%s (from protocol/schema.json; run `npm run gen:protocol`) -->" % name
    end = "<!-- /generated:%s -->" % name
    a, b = text.find(begin), text.find(end)
    if a < 0 or b < a:
        raise AssertionError("docs/protocol.md: markers of generated section %r are missing; %s" % (name, REGENERATE))
    return text[a + len(begin) + 1:b - 1]


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

    def test_every_event_kind_and_command_has_its_fixture(self) -> None:
        names = {f.name for f in _valid_files()}
        for kind in _wire.EVENT_KINDS:
            self.assertIn("event-%s.json" % kind, names)
        for command in _wire.COMMANDS:
            self.assertIn("request-%s.json" % command, names)
            self.assertIn("response-%s.json" % command, names)

    def test_generated_files_match_the_hash_pin(self) -> None:
        lock = json.loads((ROOT / "protocol" / "generated.lock.json").read_text("utf-8"))
        schema_hash = _sha256((ROOT / "protocol" / "schema.json").read_bytes())
        self.assertEqual(schema_hash, lock["schemaSha256"], "protocol/schema.json changed since it was generated: " + REGENERATE)
        self.assertEqual(_wire.SCHEMA_SHA256, schema_hash, "_wire_schema.py is stale: " + REGENERATE)
        for rel, digest in lock["files"].items():
            with self.subTest(file=rel):
                path = ROOT / rel
                self.assertTrue(path.exists(), "%s is missing: %s" % (rel, REGENERATE))
                self.assertEqual(_sha256(path.read_bytes()), digest, "%s was edited by hand or is stale: %s" % (rel, REGENERATE))
        on_disk = {p.relative_to(ROOT).as_posix() for p in FIXTURES.rglob("*.json")}
        extra = sorted(on_disk - set(lock["files"]))
        self.assertEqual(extra, [], "fixtures not generated from the schema's examples: " + REGENERATE)
        docs = (ROOT / "docs" / "protocol.md").read_text("utf-8")
        for name, digest in lock["docSections"].items():
            with self.subTest(docs=name):
                self.assertEqual(_sha256(_doc_section(docs, name).encode("utf-8")), digest,
                                 "docs/protocol.md table %r was edited by hand: %s" % (name, REGENERATE))

    def test_the_version_has_one_source(self) -> None:
        version = json.loads((ROOT / "package.json").read_text("utf-8"))["version"]
        self.assertEqual(_wire.PACKAGE_VERSION, version, "package.json's version changed: " + REGENERATE)
        self.assertEqual(loopscope.__version__, version)

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
