"""Gateway WebSocket scenarios against a real kernel, from Debian's python3-websockets.

usage: ws_scenarios.py HTTP_ADDR GRPC_ADDR DEV_KEY SCENARIO [SCENARIO...]
Runs each named scenario in order and prints one JSON line
{"<scenario>": {observations...}, ...}. Observations are what the gateway saw
(kinds in order, error codes, ref_ids, close codes, counts); the vitest side
asserts on them. Waits are generous (up to 10-15 s per expected event) and
timings are reported for information only, never asserted.
"""
import asyncio
import json
import sys
import time

import batonpy
import websockets
from wsclient import Stream, stream_url, summary

HELLO = "hello"
LONG_TEXT = " ".join(
    "this is a deliberately long sentence so that the demo pipeline keeps speaking for several seconds while the caller interrupts it".split()
    * 2
)
TURN_SCOPED_DATA = ("audio.out", "transcript", "output.end")


def kinds(events):
    return [e["kind"] for e in events]


def after_started(stream):
    """The log without the session.started that opened it."""
    log = list(stream.log)
    return log[1:] if log and log[0]["kind"] == "session.started" else log


def strictly_increasing(values):
    return all(b > a for a, b in zip(values, values[1:]))


def output_after_terminal(log):
    """Turn-scoped output (audio.out, transcript, output.end) sent after its turn's terminal."""
    ended = set()
    late = []
    for e in log:
        if e["kind"] in ("turn.committed", "turn.aborted"):
            ended.add(e["turn_id"])
        elif e["kind"] in TURN_SCOPED_DATA and e["turn_id"] and e["turn_id"] in ended:
            late.append("%s:%s" % (e["turn_id"], e["kind"]))
    return late


# ---------------------------------------------------------------- 1. auth


async def auth(http, key):
    out = {}
    cases = {
        "missing": (stream_url(http), None),
        "wrong_header": (stream_url(http), "wrong-key-0123456789"),
        "wrong_query": (stream_url(http, token="wrong-key-0123456789"), None),
        "good_query": (stream_url(http, token=key), None),
        "good_header": (stream_url(http), key),
    }
    for name, (url, header_key) in cases.items():
        try:
            stream = await Stream.connect(url, "proto", header_key)
        except websockets.InvalidStatusCode as err:
            out[name] = err.status_code
            continue
        except Exception as err:  # noqa: BLE001
            out[name] = "error: " + repr(err)
            continue
        out[name] = "open"
        await stream.close()
    return out


# ---------------------------------------------------------------- 2. first event


async def first_event_not_session_start(http, key):
    out = {}
    for encoding in ("proto", "json"):
        stream = await Stream.connect(stream_url(http), encoding, key)
        sent = await stream.send("text.in", {"text": HELLO}, id="first-" + encoding, session_id="", epoch=0)
        events = await stream.drain(10)
        code = await stream.wait_closed(10)
        out[encoding] = {
            "sent_id": sent["id"],
            "kinds": kinds(events),
            "errors": [{"code": e["payload"].get("code"), "ref_id": e["payload"].get("ref_id")} for e in events if e["kind"] == "error"],
            "close_code": code,
        }
    return out


# ---------------------------------------------------------------- 3. bad input


async def bad_input(http, key):
    stream = await Stream.connect(stream_url(http), "proto", key)
    await stream.start_session()
    results = []

    async def expect_error(case, sent_id, send):
        await send()
        error = await stream.until_kind("error", 10)
        results.append(
            {
                "case": case,
                "sent_id": sent_id,
                "code": error["payload"].get("code") if error else None,
                "ref_id": error["payload"].get("ref_id", "") if error else None,
                "error_epoch": error["epoch"] if error else None,
                "open": stream.close_code is None,
            }
        )

    # Not decodable protobuf: an unterminated varint tag.
    await expect_error("not_decodable", "", lambda: stream.send_raw(b"\xff\xff\xff\xff\xff"))
    # A kind the ABI does not have.
    await expect_error("unknown_kind", "bad-kind", lambda: stream.send("voice.magic", id="bad-kind", payload_member=None))
    # text.in carrying the audio.in payload member.
    await expect_error(
        "payload_of_another_kind",
        "bad-member",
        lambda: stream.send("text.in", {"audio": b"\x00\x00"}, id="bad-member", payload_member="audio_in"),
    )
    # seq 1 again (session.start had seq 1; later events went higher).
    await expect_error("seq_backwards", "bad-seq", lambda: stream.send("text.in", {"text": HELLO}, id="bad-seq", seq=1))
    # pcm16 audio of an odd byte count: not whole samples.
    await expect_error("odd_pcm16", "bad-audio", lambda: stream.send("audio.in", {"audio": b"\x00" * 641}, id="bad-audio"))
    # text.in (not a proposal) with the next epoch.
    await expect_error("wrong_epoch", "bad-epoch", lambda: stream.send("text.in", {"text": HELLO}, id="bad-epoch", epoch=stream.epoch + 1))
    # A text frame on a baton.v1.proto stream (a valid JSON text.in).
    text_event = stream.event("text.in", {"text": HELLO}, id="bad-text-frame")
    await expect_error(
        "text_frame_on_proto",
        "bad-text-frame",
        lambda: stream.send_raw(json.dumps(dict(text_event, epoch=str(text_event["epoch"])))),
    )
    # The stream is still usable, and rejected events did not advance the expected seq:
    # a valid text.in with seq 2 (the seq of the first rejected event) is accepted, and a
    # turn.request without text then opens t-1 on that pending text.
    await stream.send("text.in", {"text": HELLO}, id="reuse-seq", seq=2)
    stream.seq = 2
    await stream.send("turn.request", {})
    opened = await stream.until_kind("turn.opened", 10)
    user = await stream.until(lambda e: e["kind"] == "transcript" and e["payload"].get("role") == "user", 10)
    log = after_started(stream)
    out = {
        "session_epoch": stream.epoch,
        "results": results,
        "user_text": user["payload"].get("text") if user else None,
        "opened_turn": opened["turn_id"] if opened else None,
        "open_after": stream.close_code is None,
        "error_count": sum(1 for e in log if e["kind"] == "error"),
        "egress_seqs_increasing": strictly_increasing([e["seq"] for e in stream.log]),
    }
    await stream.close()
    return out


# ---------------------------------------------------------------- 4. sixteen invalid


async def invalid_run(http, key):
    # (a) 16 consecutive invalid events close the stream with 1008.
    stream = await Stream.connect(stream_url(http), "proto", key)
    await stream.start_session()
    for i in range(16):
        await stream.send("voice.magic", id="bad-%d" % i, payload_member=None)
    events = await stream.drain(10)
    code = await stream.wait_closed(10)
    closing = {
        "kinds": kinds(events),
        "error_codes": [e["payload"].get("code") for e in events if e["kind"] == "error"],
        "ref_ids": [e["payload"].get("ref_id") for e in events if e["kind"] == "error"],
        "close_code": code,
    }
    # (b) a valid event in between resets the run: 15 + valid + 15 invalid leave the stream open.
    stream = await Stream.connect(stream_url(http), "proto", key)
    await stream.start_session()
    for i in range(15):
        await stream.send("voice.magic", id="a-%d" % i, payload_member=None)
    await stream.send("text.in", {"text": HELLO})
    for i in range(15):
        await stream.send("voice.magic", id="b-%d" % i, payload_member=None)
    await stream.send("turn.request", {"text": HELLO})
    opened = await stream.until_kind("turn.opened", 10)
    interrupted = {
        "errors": sum(1 for e in stream.log if e["kind"] == "error"),
        "opened_turn": opened["turn_id"] if opened else None,
        "close_code": stream.close_code,
    }
    await stream.close()
    return {"closing": closing, "interrupted": interrupted}


# ---------------------------------------------------------------- 5. oversize


async def oversize(http, key):
    stream = await Stream.connect(stream_url(http), "proto", key)
    await stream.start_session()
    # 2 s of pcm16 at 16 kHz: a frame the socket accepts but longer than max_audio_frame_ms.
    await stream.send("audio.in", {"audio": b"\x00" * 64000}, id="long-audio")
    long_error = await stream.until_kind("error", 10)
    still_open = stream.close_code is None
    # Over 1 MiB: the WebSocket layer closes with 1009.
    try:
        await stream.send("audio.in", {"audio": b"\x00" * (1024 * 1024 + 64)}, id="huge")
    except websockets.ConnectionClosed:
        pass
    code = await stream.wait_closed(10)
    return {
        "long_audio_error": {"code": long_error["payload"].get("code"), "ref_id": long_error["payload"].get("ref_id")} if long_error else None,
        "open_after_long_audio": still_open,
        "close_code": code,
    }


# ---------------------------------------------------------------- 6/7. committed turn


async def committed_turn(http, key, encoding):
    stream = await Stream.connect(stream_url(http), encoding, key)
    started = await stream.start_session()
    await stream.send("text.in", {"text": HELLO})
    await stream.send("turn.request", {})
    end = await stream.until_kind("output.end", 15)
    generated = end["payload"].get("generated_ms", 0) if end else None
    if end:
        await stream.send("playback.started", {}, turn_id=end["turn_id"])
        await stream.send("playback.completed", {"played_ms": generated}, turn_id=end["turn_id"])
    closed = await stream.until_kind("turn.closed", 15)
    tail = await stream.drain(0.3)
    log = list(stream.log)
    body = after_started(stream)
    end_index = next((i for i, e in enumerate(body) if e["kind"] == "output.end"), None)
    committed = next((e for e in body if e["kind"] == "turn.committed"), None)
    audio = [e for e in body if e["kind"] == "audio.out"]
    out = {
        "encoding": encoding,
        "started": summary(started),
        "first_kind": log[0]["kind"] if log else None,
        "kinds": kinds(body),
        "turn_kinds": [e["kind"] for e in body if e["kind"].startswith("turn.")],
        "turn_ids": sorted({e["turn_id"] for e in body if e["kind"].startswith("turn.") or e["kind"] in ("audio.out", "output.end")}),
        "transcripts": [{"role": e["payload"].get("role"), "text": e["payload"].get("text"), "final": e["payload"].get("final", False), "turn_id": e["turn_id"]} for e in body if e["kind"] == "transcript"],
        "audio_frames": len(audio),
        "audio_bytes": sum(e["payload"].get("audio", 0) for e in audio),
        "audio_after_end": sum(1 for e in body[end_index + 1 :] if e["kind"] == "audio.out") if end_index is not None else None,
        "output_end_generated_ms": generated,
        "committed": committed["payload"] if committed else None,
        "closed": closed is not None,
        "tail_kinds": kinds(tail),
        "seqs": [e["seq"] for e in log],
        "epochs": sorted({e["epoch"] for e in log}),
        "session_ids": sorted({e["session_id"] for e in log}),
        "errors": [e["payload"] for e in body if e["kind"] == "error"],
        "bad_frames": stream.bad_frames,
    }
    if encoding == "json":
        out["epoch_always_string"] = all(e.get("epoch_is_string") for e in log)
    await stream.close()
    return out


async def committed_json(http, key):
    return await committed_turn(http, key, "json")


async def committed_proto(http, key):
    return await committed_turn(http, key, "proto")


# ---------------------------------------------------------------- 8. barge-in


async def barge_in(http, key):
    stream = await Stream.connect(stream_url(http), "proto", key)
    await stream.start_session()
    await stream.send("turn.request", {"text": LONG_TEXT})
    first_audio = await stream.until_kind("audio.out", 10)
    await stream.send("speech.started", {})
    closed = await stream.until_kind("turn.closed", 10)
    extra = await stream.drain(1.0)
    body = after_started(stream)
    clear_index = next((i for i, e in enumerate(body) if e["kind"] == "output.clear"), None)
    after_clear = body[clear_index + 1 :] if clear_index is not None else []
    out = {
        "first_audio_turn": first_audio["turn_id"] if first_audio else None,
        "turn_kinds": [e["kind"] for e in body if e["kind"].startswith("turn.") or e["kind"] == "output.clear"],
        "clear": summary(body[clear_index]) if clear_index is not None else None,
        "aborted": next((e["payload"] for e in body if e["kind"] == "turn.aborted"), None),
        "audio_before_clear": sum(1 for e in body[:clear_index] if e["kind"] == "audio.out") if clear_index is not None else None,
        "data_after_clear": [e["kind"] for e in after_clear if e["kind"] in TURN_SCOPED_DATA and (e["turn_id"] in ("", "t-1"))],
        "kinds_after_clear": kinds(after_clear),
        "closed": closed is not None,
        "extra_kinds": kinds(extra),
        "open": stream.close_code is None,
    }
    await stream.close()
    return out


# ---------------------------------------------------------------- 9. stale-epoch proposals


async def stale_turn_request(http, key):
    stream = await Stream.connect(stream_url(http), "proto", key)
    started = await stream.start_session()
    epoch = stream.epoch
    answers = []
    for label, wrong in (("next_epoch", epoch + 1), ("zero_epoch", 0)):
        sent = await stream.send("turn.request", {"text": HELLO}, epoch=wrong)
        answer = await stream.until(lambda e: e["kind"] not in ("flow.xoff", "flow.xon", "drop.notice"), 10)
        answers.append(
            {
                "case": label,
                "sent_epoch": wrong,
                "sent_id": sent["id"],
                "kind": answer["kind"] if answer else None,
                "turn_id": answer["turn_id"] if answer else None,
                "reason": answer["payload"].get("reason") if answer else None,
                "epoch": answer["epoch"] if answer else None,
            }
        )
    quiet = await stream.drain(1.0)
    await stream.send("turn.request", {"text": HELLO})
    opened = await stream.until_kind("turn.opened", 10)
    out = {
        "started_epoch": started["payload"]["epoch"],
        "answers": answers,
        "quiet_kinds": kinds(quiet),
        "opened_turn": opened["turn_id"] if opened else None,
        "opened_epoch": opened["epoch"] if opened else None,
    }
    await stream.close()
    return out


async def stale_turn_request_while_active(http, key):
    """A stale proposal while a turn is active: the epoch check comes before the state check (DESIGN 4.1, 6)."""
    stream = await Stream.connect(stream_url(http), "proto", key)
    await stream.start_session()
    await stream.send("turn.request", {"text": LONG_TEXT})
    opened = await stream.until_kind("turn.opened", 10)
    await stream.until_kind("audio.out", 10)
    answers = []
    for label, wrong in (("next_epoch", stream.epoch + 1), ("zero_epoch", 0)):
        await stream.send("turn.request", {"text": HELLO}, epoch=wrong)
        answer = await stream.until(lambda e: e["kind"] in ("turn.stale_epoch", "turn.rejected", "turn.deferred", "turn.opened", "error"), 10)
        answers.append(
            {
                "case": label,
                "kind": answer["kind"] if answer else None,
                "turn_id": answer["turn_id"] if answer else None,
                "reason": answer["payload"].get("reason") if answer else None,
            }
        )
    # The same proposal with the current epoch is rejected: one active turn per session.
    await stream.send("turn.request", {"text": HELLO})
    current = await stream.until(lambda e: e["kind"] in ("turn.stale_epoch", "turn.rejected", "turn.deferred", "turn.opened", "error"), 10)
    out = {
        "opened_turn": opened["turn_id"] if opened else None,
        "answers": answers,
        "current_epoch_answer": {"kind": current["kind"], "reason": current["payload"].get("reason")} if current else None,
        "t1_still_running": not any(e["kind"] in ("turn.aborted", "turn.closed") for e in stream.log),
    }
    await stream.close()
    return out


# ---------------------------------------------------------------- 3b. bad input on baton.v1.json


async def bad_input_json(http, key):
    stream = await Stream.connect(stream_url(http), "json", key)
    await stream.start_session()
    results = []

    async def expect_error(case, send):
        await send()
        error = await stream.until_kind("error", 10)
        results.append({"case": case, "code": error["payload"].get("code") if error else None, "ref_id": error["payload"].get("ref_id", "") if error else None})

    def frame(kind, payload, **extra):
        event = stream.event(kind, payload)
        out = {k: event[k] for k in ("v", "id", "session_id", "seq", "kind")}
        out["epoch"] = str(event["epoch"])
        out["payload"] = payload
        out.update(extra)
        return json.dumps(out)

    await expect_error("not_json", lambda: stream.send_raw("{not json"))
    await expect_error("binary_frame_on_json", lambda: stream.send_raw(b"\x0a\x03\x31\x2e\x30"))
    await expect_error("unknown_envelope_field", lambda: stream.send_raw(frame("text.in", {"text": HELLO}, id="j-field", lane="control")))
    await expect_error("payload_wrong_type", lambda: stream.send_raw(frame("text.in", {"text": 5}, id="j-type")))
    await expect_error("malformed_base64", lambda: stream.send_raw(frame("audio.in", {"audio": "***"}, id="j-b64")))
    await expect_error("missing_required_number", lambda: stream.send_raw(frame("playback.completed", {}, id="j-missing", turn_id="t-1")))
    # A plain JSON integer epoch is accepted too (docs/protocol.md): no error, and the text reaches the turn.
    plain = stream.event("text.in", {"text": HELLO})
    await stream.send_raw(json.dumps({k: plain[k] for k in ("v", "id", "session_id", "epoch", "seq", "kind", "payload")}))
    await stream.send("turn.request", {})
    opened = await stream.until_kind("turn.opened", 10)
    user = await stream.until(lambda e: e["kind"] == "transcript" and e["payload"].get("role") == "user", 10)
    out = {
        "results": results,
        "errors_total": sum(1 for e in stream.log if e["kind"] == "error"),
        "opened_turn": opened["turn_id"] if opened else None,
        "user_text": user["payload"].get("text") if user else None,
        "open_after": stream.close_code is None,
    }
    await stream.close()
    return out


# ---------------------------------------------------------------- 10. flood


async def flood(http, key):
    stream = await Stream.connect(stream_url(http), "proto", key)
    await stream.start_session()
    frame = b"\x00" * 640  # 20 ms of pcm16 at 16 kHz
    began = time.monotonic()
    request = None
    for i in range(10000):
        if i == 5000:
            request = await stream.send("turn.request", {"text": HELLO})
        sent = await stream.send("audio.in", {"audio": frame})
    sent_s = time.monotonic() - began
    audio_seqs = (2, sent["seq"])
    opened = await stream.until_kind("turn.opened", 15)
    # t-1 ends either way; acknowledge its playback when its output ends (the ack may
    # race a terminal the kernel already decided, which is answered turn_closed).
    ack = None
    end = await stream.until(lambda e: e["turn_id"] == "t-1" and e["kind"] in ("output.end", "turn.closed"), 15)
    if end and end["kind"] == "output.end":
        ack = await stream.send("playback.completed", {"played_ms": end["payload"].get("generated_ms", 0)}, turn_id="t-1")
    closed = end if end and end["kind"] == "turn.closed" else await stream.until_kind("turn.closed", 15, turn_id="t-1")
    # The session is still usable: later turns open and run to their end. While the
    # timeline is still writing the flood to disk a turn may abort evidence_unavailable
    # (DESIGN 12), so turns are proposed one after another until one commits (at most 5).
    ack_ids = [ack["id"]] if ack else []
    later = []
    for ordinal in range(2, 7):
        turn_id = "t-%d" % ordinal
        await stream.send("turn.request", {"text": "again"})
        if await stream.until_kind("turn.opened", 10, turn_id=turn_id) is None:
            break
        end_n = await stream.until(lambda e, t=turn_id: e["turn_id"] == t and e["kind"] in ("output.end", "turn.closed"), 15)
        if end_n and end_n["kind"] == "output.end":
            ack_n = await stream.send("playback.completed", {"played_ms": end_n["payload"].get("generated_ms", 0)}, turn_id=turn_id)
            ack_ids.append(ack_n["id"])
            await stream.until_kind("turn.closed", 15, turn_id=turn_id)
        turn_events = [e for e in stream.log if e["turn_id"] == turn_id]
        later.append(
            {
                "turn_id": turn_id,
                "kinds": [e["kind"] for e in turn_events if e["kind"].startswith("turn.")],
                "aborted": next((e["payload"] for e in turn_events if e["kind"] == "turn.aborted"), None),
            }
        )
        if any(e["kind"] == "turn.committed" for e in turn_events):
            break
    notices = [e for e in stream.log if e["kind"] == "drop.notice"]
    ranges = [(e["payload"].get("seq_from", 0), e["payload"].get("seq_to", 0)) for e in notices]
    dropped = [seq for a, b in ranges for seq in range(a, b + 1)]
    errors = [e["payload"] for e in stream.log if e["kind"] == "error"]
    out = {
        "sent_seconds": round(sent_s, 3),
        "request_seq": request["seq"],
        "opened_turn": opened["turn_id"] if opened else None,
        "t1_terminal": [e["kind"] for e in stream.log if e["turn_id"] == "t-1" and e["kind"] in ("turn.committed", "turn.aborted")],
        "t1_aborted": next((e["payload"] for e in stream.log if e["turn_id"] == "t-1" and e["kind"] == "turn.aborted"), None),
        "t1_closed": closed is not None,
        "ack_ids": ack_ids,
        "output_after_terminal": output_after_terminal(stream.log),
        "later_turns": later,
        "drop_notices": len(notices),
        "dropped_events": len(dropped),
        "dropped_unique": len(set(dropped)) == len(dropped),
        "dropped_only_audio": all(audio_seqs[0] <= seq <= audio_seqs[1] and seq != request["seq"] for seq in dropped),
        "drop_lanes": sorted({e["payload"].get("lane") for e in notices}),
        "drop_directions": sorted({e["payload"].get("direction") for e in notices}),
        "drop_reasons": sorted({e["payload"].get("reason") for e in notices}),
        "ranges_well_formed": all(0 < a <= b for a, b in ranges),
        "request_dropped": any(a <= request["seq"] <= b for a, b in ranges),
        "errors": errors,
        "flow": [e["kind"] + ":" + e["payload"].get("lane", "") for e in stream.log if e["kind"] in ("flow.xoff", "flow.xon")][:20],
        "egress_seqs_increasing": strictly_increasing([e["seq"] for e in stream.log]),
        "close_code": stream.close_code,
    }
    await stream.close()
    return out


SCENARIOS = {
    "auth": auth,
    "first_event": first_event_not_session_start,
    "bad_input": bad_input,
    "invalid_run": invalid_run,
    "oversize": oversize,
    "committed_json": committed_json,
    "committed_proto": committed_proto,
    "barge_in": barge_in,
    "stale_turn_request": stale_turn_request,
    "stale_while_active": stale_turn_request_while_active,
    "bad_input_json": bad_input_json,
    "flood": flood,
}


async def main(http, key, names):
    out = {}
    for name in names:
        began = time.monotonic()
        out[name] = await SCENARIOS[name](http, key)
        out[name]["elapsed_s"] = round(time.monotonic() - began, 3)
    return out


if __name__ == "__main__":
    http_addr, _grpc_addr, dev_key = sys.argv[1:4]
    batonpy.emit(asyncio.run(main(http_addr, dev_key, sys.argv[4:] or list(SCENARIOS))))
