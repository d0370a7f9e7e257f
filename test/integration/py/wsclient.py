"""A small Event ABI gateway client for Baton's integration tests.

Speaks `baton.v1.proto` (binary frames, one events_pb2.EventEnvelope each) or
`baton.v1.json` (text frames) with Debian's python3-websockets 10.4. Received
events are normalized into plain dicts so scenarios can compare them across
both encodings:

    {"id", "session_id", "turn_id", "epoch", "seq", "kind", "payload": {...}}

Bytes fields become their length (`audio` -> number of bytes); 64-bit values
are Python ints in both encodings. A background task reads the socket, so a
scenario can send as fast as it likes without the kernel's egress stalling.
"""
import asyncio
import base64
import json

import batonpy
import websockets
from google.protobuf.descriptor import FieldDescriptor

events_pb2 = batonpy.events_pb2
SUBPROTOCOL = {"proto": "baton.v1.proto", "json": "baton.v1.json"}
# Payload fields that are decimal strings in JSON (64-bit ids).
JSON_STRING_U64 = {"epoch", "seed"}
CLOSED = object()


def member(kind):
    """The payload oneof member of a kind: the kind with '.' replaced by '_'."""
    return kind.replace(".", "_")


def encode_proto(event):
    """Encodes a dict event as a binary EventEnvelope. `payload_member` overrides the oneof member."""
    env = events_pb2.EventEnvelope(
        v=event.get("v", "1.0"),
        id=event.get("id", ""),
        session_id=event.get("session_id", ""),
        turn_id=event.get("turn_id", ""),
        epoch=event.get("epoch", 0),
        seq=event.get("seq", 0),
        kind=event.get("kind", ""),
    )
    name = event.get("payload_member", member(event.get("kind", "")))
    if name is not None and name in events_pb2.EventEnvelope.DESCRIPTOR.fields_by_name:
        target = getattr(env, name)
        target.SetInParent()
        for key, value in (event.get("payload") or {}).items():
            setattr(target, key, value)
    return env.SerializeToString()


def encode_json(event):
    out = {}
    for key in ("v", "id", "session_id", "turn_id", "epoch", "seq", "kind"):
        if key in event:
            out[key] = event[key]
    out.setdefault("v", "1.0")
    if "epoch" in out:
        out["epoch"] = str(out["epoch"])
    payload = {}
    for key, value in (event.get("payload") or {}).items():
        if isinstance(value, (bytes, bytearray)):
            payload[key] = base64.b64encode(bytes(value)).decode("ascii")
        elif key in JSON_STRING_U64:
            payload[key] = str(value)
        else:
            payload[key] = value
    out["payload"] = payload
    return json.dumps(out)


def _message_dict(msg):
    out = {}
    for field in msg.DESCRIPTOR.fields:
        if field.has_presence and not msg.HasField(field.name):
            continue
        value = getattr(msg, field.name)
        if field.type == FieldDescriptor.TYPE_BYTES:
            value = len(value)
        out[field.name] = value
    return out


def decode_proto(frame):
    env = events_pb2.EventEnvelope.FromString(frame)
    which = env.WhichOneof("payload")
    return {
        "id": env.id,
        "session_id": env.session_id,
        "turn_id": env.turn_id,
        "epoch": env.epoch,
        "seq": env.seq,
        "kind": env.kind,
        "member": which,
        "payload": _message_dict(getattr(env, which)) if which else {},
    }


def decode_json(frame):
    raw = json.loads(frame)
    payload = dict(raw.get("payload") or {})
    for key in list(payload):
        if key in JSON_STRING_U64:
            payload[key] = int(payload[key])
        elif key == "audio":
            payload[key] = len(base64.b64decode(payload[key]))
    return {
        "id": raw.get("id", ""),
        "session_id": raw.get("session_id", ""),
        "turn_id": raw.get("turn_id", ""),
        "epoch": int(raw.get("epoch", "0")),
        "seq": raw.get("seq", 0),
        "kind": raw.get("kind", ""),
        "epoch_is_string": isinstance(raw.get("epoch"), str),
        "payload": payload,
    }


class Stream:
    """One gateway connection with a background reader."""

    def __init__(self, ws, encoding):
        self.ws = ws
        self.encoding = encoding
        self.seq = 0
        self.next_id = 0
        self.session_id = ""
        self.epoch = 0
        self.log = []  # every event received, in order
        self.bad_frames = []  # frames of the wrong type or undecodable
        self.close_code = None
        self.close_reason = None
        self._queue = asyncio.Queue()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, url, encoding="proto", key=None, headers=None, **kwargs):
        extra = dict(headers or {})
        if key is not None:
            extra["Authorization"] = "Bearer " + key
        ws = await websockets.connect(
            url,
            subprotocols=[SUBPROTOCOL[encoding]],
            extra_headers=extra,
            open_timeout=10,
            close_timeout=5,
            ping_interval=None,
            max_size=None,
            max_queue=None,
            compression=None,
            **kwargs,
        )
        return cls(ws, encoding)

    async def _read(self):
        try:
            async for frame in self.ws:
                try:
                    if self.encoding == "proto":
                        if isinstance(frame, str):
                            self.bad_frames.append("text")
                            continue
                        event = decode_proto(frame)
                    else:
                        if isinstance(frame, bytes):
                            self.bad_frames.append("binary")
                            continue
                        event = decode_json(frame)
                except Exception as err:  # noqa: BLE001  (reported, not raised)
                    self.bad_frames.append(repr(err))
                    continue
                self.log.append(event)
                self._queue.put_nowait(event)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason
            self._queue.put_nowait(CLOSED)

    # ------------------------------------------------------------ sending

    def event(self, kind, payload=None, **fields):
        """Builds the next event: id and seq from this stream's counters unless given."""
        if "seq" not in fields:
            self.seq += 1
            fields["seq"] = self.seq
        if "id" not in fields:
            self.next_id += 1
            fields["id"] = "g-%d" % self.next_id
        fields.setdefault("session_id", self.session_id)
        fields.setdefault("epoch", self.epoch)
        fields.setdefault("v", "1.0")
        return dict(fields, kind=kind, payload=payload or {})

    async def send(self, kind, payload=None, **fields):
        event = self.event(kind, payload, **fields)
        await self.send_event(event)
        return event

    async def send_event(self, event):
        await self.ws.send(encode_proto(event) if self.encoding == "proto" else encode_json(event))

    async def send_raw(self, frame):
        await self.ws.send(frame)

    # ------------------------------------------------------------ receiving

    async def next(self, timeout=10.0):
        """The next event, None on timeout, or CLOSED once the socket closed."""
        try:
            item = await asyncio.wait_for(self._queue.get(), timeout)
        except asyncio.TimeoutError:
            return None
        if item is CLOSED:
            self._queue.put_nowait(CLOSED)  # stays closed for later callers
        return item

    async def until(self, pred, timeout=10.0):
        """Consumes events until one matches `pred`; returns it (None on timeout or close)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                return None
            item = await self.next(left)
            if item is None or item is CLOSED:
                return None
            if pred(item):
                return item

    async def until_kind(self, kind, timeout=10.0, turn_id=None):
        return await self.until(lambda e: e["kind"] == kind and (turn_id is None or e["turn_id"] == turn_id), timeout)

    async def drain(self, seconds):
        """Every event that arrives within `seconds` (stops early when the socket closes)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        out = []
        while True:
            left = deadline - loop.time()
            if left <= 0:
                return out
            item = await self.next(left)
            if item is None or item is CLOSED:
                return out
            out.append(item)

    async def wait_closed(self, timeout=10.0):
        """Waits for the socket to close; returns the close code (None if still open)."""
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        except asyncio.TimeoutError:
            return None
        return self.close_code

    async def close(self):
        try:
            await self.ws.close()
        except Exception:  # noqa: BLE001
            pass
        await self.wait_closed(5)

    # ------------------------------------------------------------ sessions

    async def start_session(self, pipeline="demo", codec="pcm16", sample_rate=16000, timeout=10.0):
        """Sends session.start (seq 1 on /v1/stream) and adopts session.started's id and epoch."""
        await self.send("session.start", {"pipeline": pipeline, "codec": codec, "sample_rate": sample_rate}, session_id="", epoch=0)
        started = await self.until_kind("session.started", timeout)
        if started is None:
            raise RuntimeError("no session.started (close %s, log %s)" % (self.close_code, [e["kind"] for e in self.log]))
        self.adopt(started)
        return started

    def adopt(self, started):
        self.session_id = started["payload"]["session_id"]
        self.epoch = started["payload"]["epoch"]


def stream_url(http_addr, path="/v1/stream", token=None):
    url = "ws://%s%s" % (http_addr, path)
    return url + ("?token=" + token if token else "")


def summary(event):
    """A compact view of an event for the JSON observations."""
    return {"kind": event["kind"], "seq": event["seq"], "epoch": event["epoch"], "turn_id": event["turn_id"], "payload": event["payload"]}
