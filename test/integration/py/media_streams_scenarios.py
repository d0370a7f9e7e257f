"""A Twilio-style telephony gateway against Baton's /v1/media-streams, from Debian's python3-websockets.

usage: media_streams_scenarios.py HTTP_ADDR GRPC_ADDR DEV_KEY SCENARIO [SCENARIO...]
Runs each named scenario in order and prints one JSON line
{"<scenario>": {observations...}, ...}.

The caller's voice is real speech: espeak-ng renders each utterance to WAV and
sox converts it to raw 8 kHz mu-law, which is streamed in 20 ms `media` frames
in real time, Twilio's frame shapes field by field (sequenceNumber, chunk and
timestamp as decimal strings). A simulated phone plays Baton's `media` frames
20 ms at a time and echoes each `mark` once the audio before it has played;
on `clear` it drops what it buffered and echoes the marks it still held, as
Twilio does. What the kernel decided is watched over gRPC (WatchSession) in
a thread. Observations are counts, kinds in order and close codes; waits are
generous and timings are reported for information only, never asserted.
"""
import asyncio
import base64
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid

import batonpy
import grpc
import websockets

FRAME = 160  # 20 ms of 8 kHz mu-law
SILENCE = b"\xff" * FRAME
pb = batonpy.control_pb2
events_pb2 = batonpy.events_pb2
# One order for everything the gateway did and the watch saw, across threads (itertools.count is atomic in CPython).
ORDER = itertools.count()

UTTERANCES = {
    "first": "book a table for two please",
    "second": "what are your opening hours on sunday",
    "barge": "no wait, stop, I changed my mind",
    "muted": "hello there",
}


def speech(text, workdir):
    """The utterance as raw 8 kHz mono mu-law, made with espeak-ng and sox."""
    wav = os.path.join(workdir, "u.wav")
    raw = os.path.join(workdir, "u.ul")
    subprocess.run(["espeak-ng", "-w", wav, text], check=True, capture_output=True)
    subprocess.run(["sox", wav, "-r", "8000", "-c", "1", "-e", "u-law", "-t", "raw", raw], check=True, capture_output=True)
    with open(raw, "rb") as f:
        return f.read()


def media_url(http, pipeline="demo", token=None):
    url = "ws://%s/v1/media-streams?pipeline=%s" % (http, pipeline)
    return url + ("&token=" + token if token else "")


class Control:
    """The few Sessions calls the scenarios need, with the tenant key."""

    def __init__(self, grpc_addr, key):
        self.channel = grpc.insecure_channel(grpc_addr)
        self.metadata = [("authorization", "Bearer " + key)]

    def session_ids(self):
        response = batonpy.unary(self.channel, "/baton.v1.Sessions/ListSessions", pb.ListSessionsRequest(page_size=1000), pb.ListSessionsResponse, metadata=self.metadata)
        return {s.session_id for s in response.sessions}

    def watch(self, session_id):
        """Starts a thread collecting every event of the session, each with its place in ORDER."""
        events = []
        call = self.channel.unary_stream(
            "/baton.v1.Sessions/WatchSession",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=events_pb2.EventEnvelope.FromString,
        )(pb.WatchSessionRequest(session_id=session_id), metadata=self.metadata, timeout=120)

        def run():
            try:
                for env in call:
                    which = env.WhichOneof("payload")
                    payload = {}
                    if which:
                        for field in getattr(env, which).DESCRIPTOR.fields:
                            value = getattr(getattr(env, which), field.name)
                            payload[field.name] = len(value) if isinstance(value, bytes) else value
                    events.append({"order": next(ORDER), "kind": env.kind, "turn_id": env.turn_id, "payload": payload})
            except grpc.RpcError:
                pass

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return events, call

    def close(self):
        self.channel.close()


class Call:
    """One phone call as a Twilio-style gateway streams it."""

    def __init__(self, ws, echo_marks=True):
        self.ws = ws
        self.echo_marks = echo_marks
        self.stream_sid = "MZ" + uuid.uuid4().hex
        self.call_sid = "CA" + uuid.uuid4().hex
        self.sequence = 0
        self.chunk = 0
        self.ms = 0
        self.caller = bytearray()  # caller audio not yet sent; silence when empty
        self.play_queue = []  # ["media", bytes left] / ["mark", name]
        self.frames = []  # (order, frame) received from Baton
        self.echoed = []  # (order, mark name)
        self.played_frames = 0
        self.bad_frames = []
        self.close_code = None
        self.close_reason = None
        self.closed = asyncio.Event()
        self.stopped = False
        self._reader = asyncio.ensure_future(self._read())
        self._clock = None

    async def send(self, frame):
        await self.ws.send(json.dumps(frame))

    def numbered(self, frame):
        self.sequence += 1
        frame["sequenceNumber"] = str(self.sequence)
        return frame

    async def begin(self):
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await self.send(
            self.numbered(
                {
                    "event": "start",
                    "start": {
                        "accountSid": "AC" + "0" * 32,
                        "streamSid": self.stream_sid,
                        "callSid": self.call_sid,
                        "tracks": ["inbound"],
                        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                        "customParameters": {"scenario": "integration"},
                    },
                    "streamSid": self.stream_sid,
                }
            )
        )
        self._clock = asyncio.ensure_future(self._tick())

    async def stop(self):
        self.stopped = True
        await self.send(self.numbered({"event": "stop", "stop": {"accountSid": "AC" + "0" * 32, "callSid": self.call_sid}, "streamSid": self.stream_sid}))

    async def _tick(self):
        """Every 20 ms of real time: one caller frame out, 20 ms of Baton's audio played."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        n = 0
        try:
            while not self.closed.is_set() and not self.stopped:
                chunk = bytes(self.caller[:FRAME]) if self.caller else SILENCE
                del self.caller[:FRAME]
                self.chunk += 1
                await self.send(
                    self.numbered(
                        {
                            "event": "media",
                            "media": {"track": "inbound", "chunk": str(self.chunk), "timestamp": str(self.ms), "payload": base64.b64encode(chunk).decode("ascii")},
                            "streamSid": self.stream_sid,
                        }
                    )
                )
                self.ms += 20
                await self.play(FRAME)
                n += 1
                await asyncio.sleep(max(0.0, started + n * 0.02 - loop.time()))
        except websockets.ConnectionClosed:
            pass

    async def play(self, budget):
        while budget > 0 and self.play_queue and self.play_queue[0][0] == "media":
            head = self.play_queue[0]
            n = min(budget, head[1])
            head[1] -= n
            budget -= n
            if head[1] == 0:
                self.play_queue.pop(0)
                self.played_frames += 1
        await self.echo_ready()

    async def echo_ready(self):
        while self.play_queue and self.play_queue[0][0] == "mark":
            await self.echo(self.play_queue.pop(0)[1])

    async def echo(self, name):
        if not self.echo_marks:
            return
        self.echoed.append((next(ORDER), name))
        await self.send(self.numbered({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}}))

    async def _read(self):
        try:
            async for message in self.ws:
                if isinstance(message, bytes):
                    self.bad_frames.append("binary")
                    continue
                try:
                    frame = json.loads(message)
                except ValueError:
                    self.bad_frames.append("not json")
                    continue
                if frame.get("streamSid") != self.stream_sid:
                    self.bad_frames.append("streamSid " + repr(frame.get("streamSid")))
                self.frames.append((next(ORDER), frame))
                event = frame.get("event")
                if event == "media":
                    self.play_queue.append(["media", len(base64.b64decode(frame["media"]["payload"]))])
                elif event == "mark":
                    self.play_queue.append(["mark", frame["mark"]["name"]])
                    await self.echo_ready()
                elif event == "clear":
                    marks = [item[1] for item in self.play_queue if item[0] == "mark"]
                    self.play_queue.clear()
                    for name in marks:
                        await self.echo(name)
                else:
                    self.bad_frames.append("event " + repr(event))
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason
            self.closed.set()

    def received(self, event, after=-1):
        return [f for (o, f) in self.frames if f.get("event") == event and o > after]

    def last_order(self):
        return self.frames[-1][0] if self.frames else -1

    async def until(self, check, timeout=20.0):
        for _ in range(int(timeout / 0.01)):
            if check():
                return True
            await asyncio.sleep(0.01)
        return check()

    async def say(self, audio):
        """Queues the utterance and waits until its last frame has been sent."""
        self.caller.extend(audio)
        await self.until(lambda: not self.caller, timeout=30)


def turn_summary(events, turn_id):
    mine = [e for e in events if e["turn_id"] == turn_id]
    kinds = [e["kind"] for e in mine if e["kind"].startswith("turn.") or e["kind"] == "output.clear"]
    out = {"kinds": kinds}
    for e in mine:
        if e["kind"] in ("turn.committed", "turn.aborted", "output.end"):
            out[e["kind"]] = dict(e["payload"], order=e["order"])
    clear = next((e["order"] for e in mine if e["kind"] == "output.clear"), None)
    out["audio_out_after_clear"] = 0 if clear is None else len([e for e in mine if e["kind"] == "audio.out" and e["order"] > clear])
    out["audio_out"] = len([e for e in mine if e["kind"] == "audio.out"])
    return out


async def connect(url, headers=None):
    return await websockets.connect(url, extra_headers=headers or {}, open_timeout=10, close_timeout=5, ping_interval=None, max_size=None, compression=None)


# ---------------------------------------------------------------- refusals before the upgrade


async def refusals(http, key):
    out = {}
    cases = {
        "missing_token": (media_url(http), None),
        "wrong_query": (media_url(http, token="wrong-key-0123456789"), None),
        "wrong_header": (media_url(http), "wrong-key-0123456789"),
        "unknown_pipeline": (media_url(http, pipeline="no-such-pipeline", token=key), None),
        "good_query": (media_url(http, token=key), None),
        "good_header": (media_url(http), key),
    }
    for name, (url, header_key) in cases.items():
        try:
            ws = await connect(url, {"Authorization": "Bearer " + header_key} if header_key else None)
        except websockets.InvalidStatusCode as err:
            out[name] = err.status_code
            continue
        out[name] = "open"
        await ws.close()
    return out


# ---------------------------------------------------------------- bad input


async def closed_after(http, key, frames):
    ws = await connect(media_url(http, token=key))
    try:
        for frame in frames:
            await ws.send(frame if isinstance(frame, (bytes, str)) else json.dumps(frame))
        await asyncio.wait_for(ws.wait_closed(), 10)
    except (websockets.ConnectionClosed, asyncio.TimeoutError):
        pass
    return {"code": ws.close_code, "reason": ws.close_reason}


async def bad_input(http, key):
    sid = "MZ" + uuid.uuid4().hex
    start = {
        "event": "start",
        "sequenceNumber": "1",
        "start": {"streamSid": sid, "callSid": "CA1", "accountSid": "AC1", "tracks": ["inbound"], "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}, "customParameters": {}},
        "streamSid": sid,
    }
    alaw = json.loads(json.dumps(start))
    alaw["start"]["mediaFormat"] = {"encoding": "audio/x-alaw", "sampleRate": 8000, "channels": 1}
    media = {"event": "media", "sequenceNumber": "2", "media": {"track": "inbound", "chunk": "1", "timestamp": "0", "payload": base64.b64encode(SILENCE).decode()}, "streamSid": sid}
    stop = {"event": "stop", "sequenceNumber": "4", "stop": {"accountSid": "AC1", "callSid": "CA1"}, "streamSid": sid}
    return {
        "binary": await closed_after(http, key, [b"\x00\x01\x02"]),
        "not_json": await closed_after(http, key, ["{\"event\": "]),
        "unknown_event": await closed_after(http, key, [{"event": "hello"}]),
        "media_before_start": await closed_after(http, key, [{"event": "connected", "protocol": "Call", "version": "1.0.0"}, media]),
        "wrong_media_format": await closed_after(http, key, [alaw]),
        # One bad frame during a call does not hang up: the stop after it still ends the call normally.
        "garbage_then_stop": await closed_after(http, key, [start, media, "garbage", {"event": "playedStream"}, media, stop]),
        "sixteen_garbage": await closed_after(http, key, [start, media] + ["garbage"] * 16),
    }


# ---------------------------------------------------------------- a conversation


async def conversation(http, grpc_addr, key):
    """A committed turn, a second turn the caller barges in on, the turn that follows, then stop."""
    workdir = tempfile.mkdtemp(prefix="baton-ms-")
    control = Control(grpc_addr, key)
    out = {}
    try:
        audio = {name: speech(text, workdir) for name, text in UTTERANCES.items()}
        out["utterance_ms"] = {name: len(a) // 8 for name, a in audio.items()}
        before = control.session_ids()
        ws = await connect(media_url(http, token=key))
        call = Call(ws)
        await call.begin()
        found = await call.until(lambda: len(control.session_ids() - before) == 1, timeout=10)
        session_id = next(iter(control.session_ids() - before)) if found else None
        out["session_found"] = found
        events, watch = control.watch(session_id)

        # Turn 1: the caller speaks, Baton answers, the phone plays it to the end and echoes the marks.
        await call.say(audio["first"])
        await call.until(lambda: any(f["mark"]["name"] == "baton:t-1:end" for f in call.received("mark")))
        await call.until(lambda: any(n == "baton:t-1:end" for (_, n) in call.echoed))
        await call.until(lambda: any(e["kind"] == "turn.closed" and e["turn_id"] == "t-1" for e in events))
        media = call.received("media")
        sizes = [len(base64.b64decode(f["media"]["payload"])) for f in media]
        out["turn1"] = {
            "media_frames": len(media),
            "media_bytes": sum(sizes),
            "frame_sizes": sorted(set(sizes)),
            "marks": [f["mark"]["name"] for f in call.received("mark")],
            "echoed": [n for (_, n) in call.echoed],
            "end_echo_order": next((o for (o, n) in call.echoed if n == "baton:t-1:end"), None),
            "watch": turn_summary(events, "t-1"),
            "user_transcripts": len([e for e in events if e["kind"] == "transcript" and e["payload"].get("role") == "user"]),
        }

        # Turn 2: the caller asks again, and talks over Baton's answer once 300 ms of it have played.
        mark_t1 = call.last_order()
        await call.say(audio["second"])
        await call.until(lambda: len(call.received("media", after=mark_t1)) > 0)
        first_t2 = call.played_frames
        await call.until(lambda: call.played_frames - first_t2 >= 15)
        media_before_barge = len(call.received("media", after=mark_t1))
        barge_at = next(ORDER)
        await call.say(audio["barge"])
        speech_sent_at = next(ORDER)
        await call.until(lambda: len(call.received("clear", after=barge_at)) > 0, timeout=10)
        clear_at = next((o for (o, f) in call.frames if f.get("event") == "clear"), None)
        def acked_t2(until_order):
            played = [int(n.split(":")[2]) for (o, n) in call.echoed if o < until_order and n.startswith("baton:t-2:") and not n.endswith(":end")]
            return max(played, default=0)

        out["barge"] = {
            # What the phone had acknowledged of turn 2 when the caller began to talk over it, and when the clear arrived.
            "acked_before_barge": acked_t2(barge_at),
            "acked_before_clear": acked_t2(clear_at if clear_at is not None else barge_at),
            "media_before_barge": media_before_barge,
            "clears": len(call.received("clear")),
            "clear_order_ok": clear_at is not None and barge_at < clear_at,
            # Baton's media between its clear and the end of the caller's barge-in speech: there must be none.
            "media_after_clear_while_caller_spoke": len([f for (o, f) in call.frames if f.get("event") == "media" and clear_at is not None and clear_at < o < speech_sent_at]),
            "echoed_after_clear": len([n for (o, n) in call.echoed if clear_at is not None and o > clear_at and n.startswith("baton:t-2:")]),
        }
        await call.until(lambda: any(e["kind"] == "turn.closed" and e["turn_id"] == "t-3" for e in events), timeout=30)
        out["turn2"] = turn_summary(events, "t-2")
        out["turn3"] = turn_summary(events, "t-3")
        out["t3_end_mark_echoed"] = any(n == "baton:t-3:end" for (_, n) in call.echoed)
        out["errors"] = [e["payload"] for e in events if e["kind"] == "error"]

        # stop: the kernel ends the session and closes with 1000.
        await call.stop()
        await call.until(lambda: call.closed.is_set(), timeout=10)
        await call.until(lambda: any(e["kind"] == "session.ended" for e in events), timeout=5)
        out["close"] = {"code": call.close_code, "reason": call.close_reason}
        out["session_ended"] = [e["payload"] for e in events if e["kind"] == "session.ended"]
        out["session_gone"] = session_id not in control.session_ids()
        out["bad_frames"] = call.bad_frames
        watch.cancel()
    finally:
        control.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return out


async def muted_phone(http, grpc_addr, key):
    """A phone that never echoes marks: the turn still commits (playback timeout), with nothing acknowledged as played."""
    workdir = tempfile.mkdtemp(prefix="baton-ms-")
    control = Control(grpc_addr, key)
    try:
        audio = speech(UTTERANCES["muted"], workdir)
        before = control.session_ids()
        ws = await connect(media_url(http, token=key))
        call = Call(ws, echo_marks=False)
        await call.begin()
        await call.until(lambda: len(control.session_ids() - before) == 1, timeout=10)
        events, watch = control.watch(next(iter(control.session_ids() - before)))
        await call.say(audio)
        await call.until(lambda: any(e["kind"] == "turn.closed" and e["turn_id"] == "t-1" for e in events), timeout=30)
        out = {"turn1": turn_summary(events, "t-1"), "marks_received": len(call.received("mark"))}
        await call.stop()
        await call.until(lambda: call.closed.is_set(), timeout=10)
        out["close"] = call.close_code
        watch.cancel()
        return out
    finally:
        control.close()
        shutil.rmtree(workdir, ignore_errors=True)


async def main(http, grpc_addr, key, names):
    scenarios = {
        "refusals": lambda: refusals(http, key),
        "bad_input": lambda: bad_input(http, key),
        "conversation": lambda: conversation(http, grpc_addr, key),
        "muted_phone": lambda: muted_phone(http, grpc_addr, key),
    }
    out = {}
    for name in names:
        out[name] = await scenarios[name]()
    batonpy.emit(out)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
