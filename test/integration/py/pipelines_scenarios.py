"""The Pipelines and Scripts control plane (Debian's python3-grpcio) against a
real kernel: publish a pipeline, open a session on it, and run a turn to
commit with a python3-websockets gateway; store, read and delete scripts.

usage: pipelines_scenarios.py HTTP_ADDR GRPC_ADDR DEV_KEY OTHER_TENANT_KEY
Prints one JSON line of observations: answers as plain dicts, error statuses
as {"status": CODE_NAME, "details": ...}, and what the stream saw.
"""
import asyncio
import hashlib
import sys

import batonpy
import grpc
from wsclient import Stream

pb = batonpy.control_pb2

RESPONSES = {
    "Pipelines": {
        "PublishPipeline": pb.PipelineVersion,
        "GetPipeline": pb.GetPipelineResponse,
        "ListPipelines": pb.ListPipelinesResponse,
    },
    "Sessions": {
        "OpenSession": pb.OpenSessionResponse,
        "ProposeTurn": pb.TurnDecision,
    },
    "Scripts": {
        "PutScript": pb.ScriptVersion,
        "GetScript": pb.GetScriptResponse,
        "ListScripts": pb.ListScriptsResponse,
        "DeleteScript": pb.DeleteScriptResponse,
    },
}
REPLY = "the published pipeline answers"


class Control:
    def __init__(self, channel, key):
        self.channel = channel
        self.metadata = [("authorization", "Bearer " + key)] if key else None

    def call_sync(self, service, method, request, timeout=10):
        response = RESPONSES[service][method]
        return batonpy.unary(self.channel, "/baton.v1.%s/%s" % (service, method), request, response, metadata=self.metadata, timeout=timeout)

    async def call(self, service, method, request, timeout=10):
        """The response, or {"status": CODE_NAME, "details": ...} for an error status."""
        try:
            return await asyncio.to_thread(self.call_sync, service, method, request, timeout)
        except grpc.RpcError as err:
            return {"status": err.code().name, "details": err.details()}


def status(answer):
    return answer["status"] if isinstance(answer, dict) else "OK"


def version(answer):
    if isinstance(answer, dict):
        return answer
    return {"status": "OK", "name": answer.name, "version": answer.version, "hash": answer.hash}


def script_version(answer):
    if isinstance(answer, dict):
        return answer
    return {"status": "OK", "name": answer.name, "hash": answer.hash, "imports": list(answer.imports)}


def greeter_spec(reply=REPLY, name="greeter"):
    return pb.PipelineSpec(
        name=name,
        description="published over gRPC by the integration test",
        nodes=[
            pb.NodeSpec(id="stt", kind="stt", builtin="mock_stt"),
            pb.NodeSpec(id="llm", kind="llm", builtin="mock_llm", config={"reply": reply}),
            pb.NodeSpec(id="tts", kind="tts", builtin="mock_tts"),
        ],
        edges=[pb.EdgeSpec(**{"from": "stt", "to": "llm"}), pb.EdgeSpec(**{"from": "llm", "to": "tts"})],
        budgets=pb.TurnBudgets(active_ms=20000),
        turn_detection="gateway",
    )


async def pipelines(out, dev, other, anonymous):
    out["publish"] = version(await dev.call("Pipelines", "PublishPipeline", pb.PublishPipelineRequest(spec=greeter_spec())))
    out["republish"] = version(await dev.call("Pipelines", "PublishPipeline", pb.PublishPipelineRequest(spec=greeter_spec())))
    got = await dev.call("Pipelines", "GetPipeline", pb.GetPipelineRequest(name="greeter"))
    out["get"] = got if isinstance(got, dict) else {
        "version": version(got.version),
        "reply": got.spec.nodes[1].config["reply"],
        "edges": [[getattr(e, "from"), e.to] for e in got.spec.edges],
        "active_ms": got.spec.budgets.active_ms,
    }
    listed = await dev.call("Pipelines", "ListPipelines", pb.ListPipelinesRequest(page_size=100))
    out["list"] = listed if isinstance(listed, dict) else [[p.name, p.version] for p in listed.pipelines]

    bad = pb.PipelineSpec(
        name="broken",
        nodes=[pb.NodeSpec(id="a", kind="robot", builtin="mock_llm"), pb.NodeSpec(id="b", kind="llm", builtin="mock_llm"), pb.NodeSpec(id="c", kind="tts", builtin="mock_tts")],
        edges=[pb.EdgeSpec(**{"from": "b", "to": "c"}), pb.EdgeSpec(**{"from": "c", "to": "b"}), pb.EdgeSpec(**{"from": "b", "to": "ghost"})],
    )
    out["invalid"] = await dev.call("Pipelines", "PublishPipeline", pb.PublishPipelineRequest(spec=bad))
    out["no_nodes"] = await dev.call("Pipelines", "PublishPipeline", pb.PublishPipelineRequest(spec=pb.PipelineSpec(name="empty")))
    many = pb.PipelineSpec(name="many", nodes=[pb.NodeSpec(id="n%d" % i, kind="robot", builtin="mock_llm") for i in range(250)])
    out["many_problems"] = await dev.call("Pipelines", "PublishPipeline", pb.PublishPipelineRequest(spec=many))
    out["reserved"] = await dev.call("Pipelines", "PublishPipeline", pb.PublishPipelineRequest(spec=greeter_spec(name="demo")))
    out["get_missing_version"] = await dev.call("Pipelines", "GetPipeline", pb.GetPipelineRequest(name="greeter", version="9"))
    out["bad_token"] = await dev.call("Pipelines", "ListPipelines", pb.ListPipelinesRequest(page_token="forged"))

    other_list = await other.call("Pipelines", "ListPipelines", pb.ListPipelinesRequest())
    out["other_tenant"] = {
        "get": status(await other.call("Pipelines", "GetPipeline", pb.GetPipelineRequest(name="greeter"))),
        "open": status(await other.call("Sessions", "OpenSession", pb.OpenSessionRequest(pipeline="greeter", codec="pcm16", sample_rate=16000))),
        "list": other_list if isinstance(other_list, dict) else [p.name for p in other_list.pipelines],
    }
    out["unauthenticated"] = {
        "publish": status(await anonymous.call("Pipelines", "PublishPipeline", pb.PublishPipelineRequest(spec=greeter_spec()))),
        "get": status(await anonymous.call("Pipelines", "GetPipeline", pb.GetPipelineRequest(name="greeter"))),
        "list": status(await anonymous.call("Pipelines", "ListPipelines", pb.ListPipelinesRequest())),
    }
    # A deadline already past: a microsecond one raced a fast answer and could come back OK.
    out["deadline"] = status(await dev.call("Pipelines", "GetPipeline", pb.GetPipelineRequest(name="greeter"), timeout=-1))


async def run_turn(dev, pipeline, text):
    """Opens a session on `pipeline`, proposes one turn with `text` over gRPC and plays it out; what the gateway saw."""
    opened = await dev.call("Sessions", "OpenSession", pb.OpenSessionRequest(pipeline=pipeline, codec="pcm16", sample_rate=16000))
    if isinstance(opened, dict):
        return {"open": opened}
    stream = await Stream.connect(opened.stream_url + "?token=" + opened.session_token, "proto")
    started = await stream.until_kind("session.started", 10)
    stream.adopt(started)
    decision = await dev.call("Sessions", "ProposeTurn", pb.ProposeTurnRequest(session_id=opened.session_id, epoch=opened.epoch, text=text))
    end = await stream.until_kind("output.end", 15, turn_id="t-1")
    if end is not None:
        await stream.send("playback.completed", {"played_ms": end["payload"]["generated_ms"]}, turn_id="t-1")
    closed = await stream.until_kind("turn.closed", 15, turn_id="t-1")
    turn = [e for e in stream.log if e["turn_id"] == "t-1"]
    await stream.close()
    return {
        "started": {k: started["payload"].get(k) for k in ("pipeline", "pipeline_version")},
        "decision": decision if isinstance(decision, dict) else {"outcome": pb.TurnOutcome.Name(decision.outcome), "turn_id": decision.turn_id, "plan_hash": decision.plan_hash},
        "lifecycle": [e["kind"] for e in turn if e["kind"].startswith("turn.")],
        "committed": next((e["payload"] for e in turn if e["kind"] == "turn.committed"), None),
        "aborted": next((e["payload"] for e in turn if e["kind"] == "turn.aborted"), None),
        "assistant": [e["payload"]["text"] for e in turn if e["kind"] == "transcript" and e["payload"].get("role") == "assistant" and e["payload"].get("final")],
        "closed": closed is not None,
    }


def scripted_spec():
    """The node script `greeter` as the pipeline's llm, spoken by the mock TTS."""
    return pb.PipelineSpec(
        name="scripted-greeter",
        nodes=[pb.NodeSpec(id="greet", kind="llm", script="greeter"), pb.NodeSpec(id="tts", kind="tts", builtin="mock_tts")],
        edges=[pb.EdgeSpec(**{"from": "greet", "to": "tts"})],
        turn_detection="gateway",
    )


async def scripts(out, dev, other, anonymous):
    lib = "export function upper(s) { return s.toUpperCase(); }\nexport const GREETING = 'hello';"
    node = "import { emit } from 'baton:host';\nimport { upper, GREETING } from 'lib/text';\nexport default function handle(input) { emit(upper(GREETING + ' ' + input.text)); }"
    out["put_module"] = script_version(await dev.call("Scripts", "PutScript", pb.PutScriptRequest(name="lib/text", kind=pb.SCRIPT_KIND_MODULE, source=lib)))
    out["put_node"] = script_version(await dev.call("Scripts", "PutScript", pb.PutScriptRequest(name="greeter", kind=pb.SCRIPT_KIND_NODE, source=node)))
    out["expected_hashes"] = {"lib/text": hashlib.sha256(lib.encode()).hexdigest(), "greeter": hashlib.sha256(node.encode()).hexdigest()}
    got = await dev.call("Scripts", "GetScript", pb.GetScriptRequest(name="greeter"))
    out["get_script"] = got if isinstance(got, dict) else {"kind": pb.ScriptKind.Name(got.kind), "source_matches": got.source == node, "version": script_version(got.version)}
    listed = await dev.call("Scripts", "ListScripts", pb.ListScriptsRequest())
    out["list_scripts"] = listed if isinstance(listed, dict) else [s.name for s in listed.scripts]
    out["scripted_publish"] = version(await dev.call("Pipelines", "PublishPipeline", pb.PublishPipelineRequest(spec=scripted_spec())))
    out["scripted_turn"] = await run_turn(dev, "scripted-greeter", "world")
    out["syntax_error"] = await dev.call("Scripts", "PutScript", pb.PutScriptRequest(name="bad", kind=pb.SCRIPT_KIND_MODULE, source="export const a = 1;\nexport const b = ;"))
    out["side_effect"] = await dev.call("Scripts", "PutScript", pb.PutScriptRequest(name="bad", kind=pb.SCRIPT_KIND_MODULE, source="let n = 0;\nconsole.log(n);"))
    out["unknown_reserved"] = await dev.call("Scripts", "PutScript", pb.PutScriptRequest(name="bad", kind=pb.SCRIPT_KIND_MODULE, source="import { fetch } from 'baton:net';"))
    out["delete_imported"] = await dev.call("Scripts", "DeleteScript", pb.DeleteScriptRequest(name="lib/text"))
    out["other_tenant_scripts"] = {
        "get": status(await other.call("Scripts", "GetScript", pb.GetScriptRequest(name="greeter"))),
        "delete": status(await other.call("Scripts", "DeleteScript", pb.DeleteScriptRequest(name="lib/text"))),
        "import": await other.call("Scripts", "PutScript", pb.PutScriptRequest(name="mine", kind=pb.SCRIPT_KIND_MODULE, source="import { upper } from 'lib/text';")),
    }
    out["scripts_unauthenticated"] = status(await anonymous.call("Scripts", "ListScripts", pb.ListScriptsRequest()))
    deleted = await dev.call("Scripts", "DeleteScript", pb.DeleteScriptRequest(name="greeter"))
    out["delete_node"] = deleted if isinstance(deleted, dict) else {"deleted": deleted.deleted}
    deleted = await dev.call("Scripts", "DeleteScript", pb.DeleteScriptRequest(name="lib/text"))
    out["delete_module"] = deleted if isinstance(deleted, dict) else {"deleted": deleted.deleted}
    out["delete_again"] = status(await dev.call("Scripts", "DeleteScript", pb.DeleteScriptRequest(name="lib/text")))


async def main(http, grpc_addr, key, other_key):
    del http  # the stream URL comes from OpenSession
    out = {}
    with grpc.insecure_channel(grpc_addr) as channel:
        dev = Control(channel, key)
        other = Control(channel, other_key)
        anonymous = Control(channel, None)
        await pipelines(out, dev, other, anonymous)
        out["session"] = await run_turn(dev, "greeter", "hello")
        await scripts(out, dev, other, anonymous)
    return out


if __name__ == "__main__":
    http_addr, grpc_address, dev_key, other_tenant_key = sys.argv[1:5]
    batonpy.emit(asyncio.run(main(http_addr, grpc_address, dev_key, other_tenant_key)))
