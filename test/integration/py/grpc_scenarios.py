"""The Sessions control plane (Debian's python3-grpcio) driving a session whose
stream is held by a gateway (python3-websockets), against a real kernel.

usage: grpc_scenarios.py HTTP_ADDR GRPC_ADDR DEV_KEY OTHER_TENANT_KEY
Prints one JSON line of observations: gRPC answers (outcome enums, status code
names) and what the stream saw (kinds in order, close codes). Blocking gRPC
calls run in a thread so the stream's reader keeps reading meanwhile.
"""
import asyncio
import re
import sys

import batonpy
import grpc
from wsclient import CLOSED, Stream

pb = batonpy.control_pb2
LONG_TEXT = " ".join(["a long answer keeps the demo pipeline speaking while the control plane acts on the turn"] * 2)
PRE_TURN = ("turn.stale_epoch", "turn.rejected", "turn.deferred", "turn.opened")

METHODS = {
    "OpenSession": (pb.OpenSessionResponse,),
    "GetSession": (pb.Session,),
    "ListSessions": (pb.ListSessionsResponse,),
    "CloseSession": (pb.CloseSessionResponse,),
    "ProposeTurn": (pb.TurnDecision,),
    "CancelTurn": (pb.CancelTurnResponse,),
}


class Control:
    def __init__(self, channel, key):
        self.channel = channel
        self.metadata = [("authorization", "Bearer " + key)] if key else None

    def call_sync(self, method, request):
        return batonpy.unary(self.channel, "/baton.v1.Sessions/" + method, request, METHODS[method][0], metadata=self.metadata, timeout=10)

    async def call(self, method, request):
        """The response, or {"status": CODE_NAME, "details": ...} for an error status."""
        try:
            return await asyncio.to_thread(self.call_sync, method, request)
        except grpc.RpcError as err:
            return {"status": err.code().name, "details": err.details()}


def status(answer):
    return answer["status"] if isinstance(answer, dict) else "OK"


def decision(answer):
    if isinstance(answer, dict):
        return answer
    return {
        "status": "OK",
        "outcome": pb.TurnOutcome.Name(answer.outcome),
        "turn_id": answer.turn_id,
        "reason": answer.reason,
        "plan_hash": answer.plan_hash,
    }


async def pre_turn_event(stream, timeout=10):
    event = await stream.until(lambda e: e["kind"] in PRE_TURN, timeout)
    return {"kind": event["kind"], "turn_id": event["turn_id"], "payload": event["payload"]} if event else None


async def main(http, grpc_addr, key, other_key):
    out = {}
    with grpc.insecure_channel(grpc_addr) as channel:
        dev = Control(channel, key)
        other = Control(channel, other_key)
        anonymous = Control(channel, None)
        wrong = Control(channel, "not-a-tenant-key-0123456789")

        # -------------------------------------------------- OpenSession
        opened = await dev.call("OpenSession", pb.OpenSessionRequest(pipeline="demo", codec="pcm16", sample_rate=16000))
        sid, epoch, token, url = opened.session_id, opened.epoch, opened.session_token, opened.stream_url
        out["open"] = {"session_id": sid, "epoch": epoch, "has_token": bool(token), "stream_url": url, "path_ok": url == "ws://%s/v1/sessions/%s/stream" % (http, sid)}

        # -------------------------------------------------- stream with the session token
        first = await Stream.connect(url + "?token=" + token, "proto")
        started = await first.next(10)
        first_started = started if started not in (None, CLOSED) else None
        out["first_stream"] = {
            "kind": first_started["kind"] if first_started else None,
            "seq": first_started["seq"] if first_started else None,
            "payload": first_started["payload"] if first_started else None,
        }

        # -------------------------------------------------- a second connection replaces the first
        second = await Stream.connect(url + "?token=" + token, "proto")
        second_started = await second.until_kind("session.started", 10)
        code = await first.wait_closed(10)
        out["replaced"] = {
            "first_close_code": code,
            "first_kinds_after_started": [e["kind"] for e in first.log[1:]],
            "second_kind": second_started["kind"] if second_started else None,
            "second_seq": second_started["seq"] if second_started else None,
            "second_epoch": second_started["payload"].get("epoch") if second_started else None,
        }
        if second_started:
            second.adopt(second_started)
        stream = second

        # -------------------------------------------------- ProposeTurn opens t-1
        answer = decision(await dev.call("ProposeTurn", pb.ProposeTurnRequest(session_id=sid, epoch=epoch, text=LONG_TEXT)))
        seen = await pre_turn_event(stream)
        out["propose"] = {
            "answer": answer,
            "plan_hash_hex64": bool(re.fullmatch(r"[0-9a-f]{64}", answer.get("plan_hash", ""))),
            "stream": seen,
        }
        first_audio = await stream.until_kind("audio.out", 10, turn_id="t-1")
        out["propose"]["audio_started"] = first_audio is not None

        # -------------------------------------------------- stale proposal while t-1 is active
        answer = decision(await dev.call("ProposeTurn", pb.ProposeTurnRequest(session_id=sid, epoch=epoch + 1, text="hello")))
        out["stale_while_active"] = {"answer": answer, "stream": await pre_turn_event(stream)}

        # -------------------------------------------------- CancelTurn checks, in DESIGN 4.1 order
        out["cancel_wrong_epoch"] = status(await dev.call("CancelTurn", pb.CancelTurnRequest(session_id=sid, turn_id="t-1", epoch=epoch + 1, reason="test")))
        out["cancel_zero_epoch"] = status(await dev.call("CancelTurn", pb.CancelTurnRequest(session_id=sid, turn_id="t-1", epoch=0, reason="test")))
        out["cancel_unknown_turn"] = status(await dev.call("CancelTurn", pb.CancelTurnRequest(session_id=sid, turn_id="t-99", epoch=epoch, reason="test")))
        mark = len(stream.log)
        cancelled = await dev.call("CancelTurn", pb.CancelTurnRequest(session_id=sid, turn_id="t-1", epoch=epoch, reason="operator"))
        closed = await stream.until_kind("turn.closed", 10, turn_id="t-1")
        tail = await stream.drain(0.5)
        after = stream.log[mark:]
        clear_at = next((i for i, e in enumerate(after) if e["kind"] == "output.clear"), None)
        out["cancel_active"] = {
            "status": status(cancelled),
            "fenced": getattr(cancelled, "fenced", None),
            "stream_turn_kinds": [e["kind"] for e in after if e["kind"] in ("output.clear", "turn.committed", "turn.aborted", "turn.closed")],
            "aborted": next((e["payload"] for e in after if e["kind"] == "turn.aborted"), None),
            "data_after_clear": [e["kind"] for e in after[clear_at + 1 :] if e["kind"] in ("audio.out", "output.end") or (e["kind"] == "transcript" and e["turn_id"] == "t-1")] if clear_at is not None else None,
            "closed": closed is not None,
            "tail_kinds": [e["kind"] for e in tail],
        }
        out["cancel_closed_turn"] = status(await dev.call("CancelTurn", pb.CancelTurnRequest(session_id=sid, turn_id="t-1", epoch=epoch, reason="again")))

        # -------------------------------------------------- stale proposals with no active turn
        stale = []
        for wrong_epoch in (epoch + 1, 0):
            answer = decision(await dev.call("ProposeTurn", pb.ProposeTurnRequest(session_id=sid, epoch=wrong_epoch, text="hello")))
            stale.append({"epoch": wrong_epoch, "answer": answer, "stream": await pre_turn_event(stream)})
        out["stale_idle"] = stale

        # -------------------------------------------------- GetSession / ListSessions
        got = await dev.call("GetSession", pb.GetSessionRequest(session_id=sid))
        out["get"] = (
            got
            if isinstance(got, dict)
            else {"session_id": got.session_id, "pipeline": got.pipeline, "state": got.state, "epoch": got.epoch, "turns": got.turns, "connected": got.connected, "active_turn_id": got.active_turn_id, "holder": got.holder}
        )
        listed = await dev.call("ListSessions", pb.ListSessionsRequest(page_size=1000))
        out["list_contains"] = (not isinstance(listed, dict)) and sid in [s.session_id for s in listed.sessions]

        # -------------------------------------------------- credentials
        out["unauthenticated"] = {
            "get_no_key": status(await anonymous.call("GetSession", pb.GetSessionRequest(session_id=sid))),
            "get_wrong_key": status(await wrong.call("GetSession", pb.GetSessionRequest(session_id=sid))),
            "propose_no_key": status(await anonymous.call("ProposeTurn", pb.ProposeTurnRequest(session_id=sid, epoch=epoch, text="hello"))),
            "open_no_key": status(await anonymous.call("OpenSession", pb.OpenSessionRequest(pipeline="demo"))),
        }
        other_list = await other.call("ListSessions", pb.ListSessionsRequest(page_size=1000))
        out["other_tenant"] = {
            "get": status(await other.call("GetSession", pb.GetSessionRequest(session_id=sid))),
            "propose": status(await other.call("ProposeTurn", pb.ProposeTurnRequest(session_id=sid, epoch=epoch, text="hello"))),
            "cancel": status(await other.call("CancelTurn", pb.CancelTurnRequest(session_id=sid, turn_id="t-1", epoch=epoch, reason="x"))),
            "close": status(await other.call("CloseSession", pb.CloseSessionRequest(session_id=sid, reason="x"))),
            "list_status": status(other_list),
            "list_contains": (not isinstance(other_list, dict)) and sid in [s.session_id for s in other_list.sessions],
        }
        still = await dev.call("GetSession", pb.GetSessionRequest(session_id=sid))
        out["after_other_tenant"] = {"status": status(still), "state": getattr(still, "state", None), "turns": getattr(still, "turns", None)}
        out["no_pre_turn_from_other_tenant"] = [e["kind"] for e in await stream.drain(0.3)]

        # -------------------------------------------------- CloseSession
        mark = len(stream.log)
        closed = await dev.call("CloseSession", pb.CloseSessionRequest(session_id=sid, reason="test_done"))
        code = await stream.wait_closed(10)
        out["close"] = {
            "status": status(closed),
            "closed": getattr(closed, "closed", None),
            "stream_kinds": [e["kind"] for e in stream.log[mark:]],
            "ended": next((e["payload"] for e in stream.log[mark:] if e["kind"] == "session.ended"), None),
            "close_code": code,
        }
        after_close = await dev.call("GetSession", pb.GetSessionRequest(session_id=sid))
        out["get_after_close"] = {"status": status(after_close), "state": getattr(after_close, "state", None)}
        seqs = [e["seq"] for e in stream.log]
        out["stream_seqs_increasing"] = all(b > a for a, b in zip(seqs, seqs[1:]))
        out["stream_epochs"] = sorted({e["epoch"] for e in stream.log})
    return out


if __name__ == "__main__":
    http_addr, grpc_address, dev_key, other_tenant_key = sys.argv[1:5]
    batonpy.emit(asyncio.run(main(http_addr, grpc_address, dev_key, other_tenant_key)))
