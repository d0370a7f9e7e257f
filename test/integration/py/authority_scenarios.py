"""The Authority and Timelines control planes (Debian's python3-grpcio) against
a real kernel whose session stream is held by a gateway (python3-websockets).

usage: authority_scenarios.py HTTP_ADDR GRPC_ADDR DEV_KEY OTHER_TENANT_KEY INSTANCE_ID
Prints one JSON line of observations. The main scenario: open a session,
stream it, speak a turn, move its lease to holder "other" mid-turn, watch the
stream stop (DESIGN 5.1) and export the timeline. Then the contract of every
method (statuses) on other sessions, and ExportTimeline cancel and deadline.
Blocking gRPC calls run in a thread so the stream's reader keeps reading.
"""
import asyncio
import sys
import time

import batonpy
import grpc
from wsclient import Stream

pb = batonpy.control_pb2
tl = batonpy.timeline_pb2
LONG_TEXT = " ".join(["a long answer keeps the demo pipeline speaking while the control plane moves the lease away"] * 3)
AUDIO_FRAMES = 3000
TERMINAL = ("output.clear", "turn.committed", "turn.aborted", "turn.closed", "session.ended")

UNARY = {
    ("Sessions", "OpenSession"): pb.OpenSessionResponse,
    ("Sessions", "ProposeTurn"): pb.TurnDecision,
    ("Sessions", "CloseSession"): pb.CloseSessionResponse,
    ("Authority", "AcquireLease"): pb.Lease,
    ("Authority", "RenewLease"): pb.Lease,
    ("Authority", "ReleaseLease"): pb.Lease,
    ("Authority", "TransferLease"): pb.Lease,
    ("Authority", "GetLease"): pb.Lease,
}
REQUESTS = {
    "AcquireLease": pb.AcquireLeaseRequest,
    "RenewLease": pb.RenewLeaseRequest,
    "ReleaseLease": pb.ReleaseLeaseRequest,
    "TransferLease": pb.TransferLeaseRequest,
    "GetLease": pb.GetLeaseRequest,
}


class Control:
    def __init__(self, channel, key):
        self.channel = channel
        self.metadata = [("authorization", "Bearer " + key)] if key else None

    def call_sync(self, service, method, request):
        return batonpy.unary(self.channel, "/baton.v1.%s/%s" % (service, method), request, UNARY[(service, method)], metadata=self.metadata, timeout=10)

    async def call(self, service, method, request):
        """The response, or {"status": CODE_NAME, "details": ...} for an error status."""
        try:
            return await asyncio.to_thread(self.call_sync, service, method, request)
        except grpc.RpcError as err:
            return {"status": err.code().name, "details": err.details()}

    async def lease(self, method, **fields):
        return lease_view(await self.call("Authority", method, REQUESTS[method](**fields)))

    def export_sync(self, session_id, timeout=20):
        """Every record of ExportTimeline and the final status name."""
        call = self.channel.unary_stream(
            "/baton.v1.Timelines/ExportTimeline",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=tl.TimelineRecord.FromString,
        )
        records = []
        try:
            for record in call(pb.ExportTimelineRequest(session_id=session_id), metadata=self.metadata, timeout=timeout):
                records.append(record)
        except grpc.RpcError as err:
            return records, err.code().name, err.details()
        return records, "OK", ""

    async def export(self, session_id):
        return await asyncio.to_thread(self.export_sync, session_id)

    def export_cancel_sync(self, session_id):
        """Reads one record, cancels, and reports what the iterator then says."""
        call = self.channel.unary_stream(
            "/baton.v1.Timelines/ExportTimeline",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=tl.TimelineRecord.FromString,
        )
        stream = call(pb.ExportTimelineRequest(session_id=session_id), metadata=self.metadata, timeout=20)
        first = next(stream)
        stream.cancel()
        try:
            rest = sum(1 for _ in stream)
            return {"first_index": first.index, "status": "OK", "after_cancel": rest}
        except grpc.RpcError as err:
            return {"first_index": first.index, "status": err.code().name}

    def export_deadline_sync(self, session_id, timeout):
        """Reads one record, then stops reading until well past the deadline."""
        call = self.channel.unary_stream(
            "/baton.v1.Timelines/ExportTimeline",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=tl.TimelineRecord.FromString,
        )
        stream = call(pb.ExportTimelineRequest(session_id=session_id), metadata=self.metadata, timeout=timeout)
        received = 0
        try:
            for _ in stream:
                received += 1
                if received == 1:
                    time.sleep(timeout * 3)
            return {"status": "OK", "received": received}
        except grpc.RpcError as err:
            return {"status": err.code().name, "received": received}


def status(answer):
    return answer["status"] if isinstance(answer, dict) else "OK"


def lease_view(answer):
    if isinstance(answer, dict):
        return answer
    return {"status": "OK", "session_id": answer.session_id, "holder": answer.holder, "epoch": answer.epoch, "expires_at_ms": answer.expires_at_ms}


def record_view(record):
    body = record.WhichOneof("body")
    out = {"index": record.index, "body": body, "turn_id": record.turn_id}
    if body == "decision":
        out["decision"] = {"kind": record.decision.kind, "outcome": record.decision.outcome, "reason": record.decision.reason, "detail": dict(record.decision.detail)}
    elif body == "egress":
        out["egress"] = {"kind": record.egress.kind, "epoch": record.egress.epoch, "seq": record.egress.seq}
    elif body == "header":
        out["header"] = {"tenant": record.header.tenant, "pipeline": record.header.pipeline}
    return out


async def open_streamed(dev):
    opened = await dev.call("Sessions", "OpenSession", pb.OpenSessionRequest(pipeline="demo", codec="pcm16", sample_rate=16000))
    stream = await Stream.connect(opened.stream_url + "?token=" + opened.session_token, "proto")
    started = await stream.until_kind("session.started", 10)
    stream.adopt(started)
    return opened, stream


async def main(http, grpc_addr, key, other_key, instance_id):
    out = {}
    with grpc.insecure_channel(grpc_addr) as channel:
        dev = Control(channel, key)
        other = Control(channel, other_key)
        anonymous = Control(channel, None)
        wrong = Control(channel, "not-a-tenant-key-0123456789")

        # -------------------------------------------------- a streamed session speaking a turn
        opened, stream = await open_streamed(dev)
        sid, epoch = opened.session_id, opened.epoch
        before = await dev.lease("GetLease", session_id=sid)
        out["before"] = dict(before, wall_ms=int(time.time() * 1000), opened_epoch=epoch, instance_id=instance_id)
        proposed = await dev.call("Sessions", "ProposeTurn", pb.ProposeTurnRequest(session_id=sid, epoch=epoch, text=LONG_TEXT))
        out["proposed"] = pb.TurnOutcome.Name(proposed.outcome) if not isinstance(proposed, dict) else proposed
        audio = await stream.until_kind("audio.out", 10, turn_id="t-1")
        out["speaking"] = audio is not None

        # -------------------------------------------------- the lease moves away mid-turn
        mark = len(stream.log)
        moved = await dev.lease("TransferLease", session_id=sid, holder="other")
        code = await stream.wait_closed(10)
        after = stream.log[mark:]
        clear_at = next((i for i, e in enumerate(after) if e["kind"] == "output.clear"), None)
        out["transfer"] = {
            "answer": moved,
            "stream_kinds": [e["kind"] for e in after if e["kind"] in TERMINAL],
            "aborted": next((e["payload"] for e in after if e["kind"] == "turn.aborted"), None),
            "ended": next((e["payload"] for e in after if e["kind"] == "session.ended"), None),
            "data_after_clear": [e["kind"] for e in after[clear_at + 1 :] if e["kind"] in ("audio.out", "transcript", "output.end")] if clear_at is not None else None,
            "tail_epochs": sorted({e["epoch"] for e in after[clear_at:]}) if clear_at is not None else None,
            "close_code": code,
            "close_reason": stream.close_reason,
        }
        out["after_transfer"] = {
            "get": await dev.lease("GetLease", session_id=sid),
            "acquire_self": await dev.lease("AcquireLease", session_id=sid, holder=instance_id),
            "renew_old": await dev.lease("RenewLease", session_id=sid, epoch=epoch),
            "renew_new": await dev.lease("RenewLease", session_id=sid, epoch=moved.get("epoch", 0)),
        }

        # -------------------------------------------------- the timeline of that session
        records, export_status, details = await dev.export(sid)
        out["export"] = {"status": export_status, "details": details, "records": [record_view(r) for r in records]}

        # -------------------------------------------------- contract of every method on a quiet session
        quiet, quiet_stream = await open_streamed(dev)
        qid, qepoch = quiet.session_id, quiet.epoch
        # About 2 MB of caller audio makes a timeline far larger than what HTTP/2 buffers hold in flight.
        silence = bytes(640)
        for _ in range(AUDIO_FRAMES):
            await quiet_stream.send("audio.in", {"audio": silence})
        # An ack for an unknown turn is answered error{not_found} once every frame before it was taken.
        await quiet_stream.send("playback.mark", {"played_ms": 1}, turn_id="t-9")
        acked = await quiet_stream.until_kind("error", 30)
        out["fed"] = acked["payload"].get("code") if acked else None
        requests = {
            "AcquireLease": {"session_id": qid, "holder": instance_id},
            "RenewLease": {"session_id": qid, "epoch": qepoch},
            "ReleaseLease": {"session_id": qid, "epoch": qepoch},
            "TransferLease": {"session_id": qid, "holder": "other"},
            "GetLease": {"session_id": qid},
        }
        contract = {}
        for method, fields in requests.items():
            contract[method] = {
                "no_key": status(await anonymous.lease(method, **fields)),
                "wrong_key": status(await wrong.lease(method, **fields)),
                "other_tenant": status(await other.lease(method, **fields)),
                "unknown": status(await dev.lease(method, **dict(fields, session_id="s-nobody"))),
                "empty_id": status(await dev.lease(method, **dict(fields, session_id=""))),
            }
        out["contract"] = contract
        out["quiet"] = {
            "acquire_self": await dev.lease("AcquireLease", session_id=qid, holder=instance_id),
            "acquire_other": await dev.lease("AcquireLease", session_id=qid, holder="kernel-b"),
            "empty_holder": status(await dev.lease("TransferLease", session_id=qid, holder="")),
            "bad_holder": status(await dev.lease("AcquireLease", session_id=qid, holder="has space")),
            "renew": await dev.lease("RenewLease", session_id=qid, epoch=qepoch),
            "renew_stale": status(await dev.lease("RenewLease", session_id=qid, epoch=qepoch + 1)),
            "release_zero": status(await dev.lease("ReleaseLease", session_id=qid, epoch=0)),
            "transfer_self": await dev.lease("TransferLease", session_id=qid, holder=instance_id),
            "still_open": quiet_stream.close_code is None,
        }
        out["quiet"]["export_other_tenant"] = (await other.export(qid))[1]
        out["quiet"]["export_no_key"] = (await anonymous.export(qid))[1]
        out["quiet"]["export_unknown"] = (await dev.export("s-nobody"))[1]
        # A channel without BDP probing keeps the client's receive window at the HTTP/2 default, so not reading is felt at once.
        with grpc.insecure_channel(grpc_addr, options=[("grpc.http2.bdp_probe", 0)]) as slow_channel:
            slow = Control(slow_channel, key)
            out["quiet"]["export_cancel"] = await asyncio.to_thread(slow.export_cancel_sync, qid)
            out["quiet"]["export_deadline"] = await asyncio.to_thread(slow.export_deadline_sync, qid, 0.5)
        records, export_status, _ = await dev.export(qid)
        out["quiet"]["export_full"] = {"status": export_status, "records": len(records), "contiguous": [r.index for r in records] == list(range(len(records)))}
        mark = len(quiet_stream.log)
        released = await dev.lease("ReleaseLease", session_id=qid, epoch=qepoch)
        code = await quiet_stream.wait_closed(10)
        out["release"] = {
            "answer": released,
            "stream_kinds": [e["kind"] for e in quiet_stream.log[mark:]],
            "ended": next((e["payload"] for e in quiet_stream.log[mark:] if e["kind"] == "session.ended"), None),
            "close_code": code,
            "get": await dev.lease("GetLease", session_id=qid),
            "release_again": status(await dev.lease("ReleaseLease", session_id=qid, epoch=qepoch)),
        }
    return out


if __name__ == "__main__":
    http_addr, grpc_address, dev_key, other_tenant_key, instance = sys.argv[1:6]
    batonpy.emit(asyncio.run(main(http_addr, grpc_address, dev_key, other_tenant_key, instance)))
