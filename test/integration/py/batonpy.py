"""Cross-language client helpers for Baton's integration tests.

Uses only Debian's python3-grpcio, python3-protobuf and python3-websockets.
Message classes are generated at run time by Debian's protoc from Baton's own
proto/ files (and the standard health/reflection protos shipped in
node_modules), so these tests exercise the published contract, not a copy.
"""
import hashlib
import importlib
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PROTO_DIRS = [
    os.path.join(ROOT, "proto"),
    os.path.join(ROOT, "node_modules", "grpc-health-check", "proto"),
    os.path.join(ROOT, "node_modules", "@grpc", "reflection", "build", "proto"),
]
PROTO_FILES = [
    "baton/v1/events.proto",
    "baton/v1/timeline.proto",
    "baton/v1/control.proto",
    "health/v1/health.proto",
    "grpc/reflection/v1/reflection.proto",
]
# The reflection proto's path would make a Python package "grpc" that shadows
# grpcio itself; it is compiled from a copy under another directory name (the
# proto package, and so the service name on the wire, stay grpc.reflection.v1).
RENAMED = {"grpc/reflection/v1/reflection.proto": "batonext/reflection/v1/reflection.proto"}


def _generated_dir():
    digest = hashlib.sha256(b"layout-2")
    for rel in PROTO_FILES:
        for base in PROTO_DIRS:
            path = os.path.join(base, rel)
            if os.path.exists(path):
                with open(path, "rb") as f:
                    digest.update(f.read())
    out = os.path.join(tempfile.gettempdir(), "baton-py-" + digest.hexdigest()[:16])
    if not os.path.exists(os.path.join(out, ".done")):
        os.makedirs(out, exist_ok=True)
        staged = os.path.join(out, "protos")
        for rel, renamed in RENAMED.items():
            source = next(os.path.join(b, rel) for b in PROTO_DIRS if os.path.exists(os.path.join(b, rel)))
            os.makedirs(os.path.dirname(os.path.join(staged, renamed)), exist_ok=True)
            with open(source, "rb") as src, open(os.path.join(staged, renamed), "wb") as dst:
                dst.write(src.read())
        files = [RENAMED.get(f, f) for f in PROTO_FILES]
        args = ["protoc", "--proto_path=" + staged] + ["--proto_path=" + d for d in PROTO_DIRS] + ["--python_out=" + out] + files
        subprocess.run(args, check=True)
        open(os.path.join(out, ".done"), "w").close()
    return out


sys.path.insert(0, _generated_dir())
events_pb2 = importlib.import_module("baton.v1.events_pb2")
control_pb2 = importlib.import_module("baton.v1.control_pb2")
timeline_pb2 = importlib.import_module("baton.v1.timeline_pb2")
health_pb2 = importlib.import_module("health.v1.health_pb2")
reflection_pb2 = importlib.import_module("batonext.reflection.v1.reflection_pb2")

import grpc  # noqa: E402  (after sys.path set-up on purpose: generated modules first)


def unary(channel, method, request, response_cls, metadata=None, timeout=10):
    call = channel.unary_unary(
        method,
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_cls.FromString,
    )
    return call(request, metadata=metadata, timeout=timeout)


def health(addr, service=""):
    with grpc.insecure_channel(addr) as channel:
        response = unary(channel, "/grpc.health.v1.Health/Check", health_pb2.HealthCheckRequest(service=service), health_pb2.HealthCheckResponse)
        return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


def list_services(addr):
    with grpc.insecure_channel(addr) as channel:
        call = channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        responses = call(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=10)
        for response in responses:
            return sorted(s.name for s in response.list_services_response.service)
    return []


def file_containing_symbol(addr, symbol):
    with grpc.insecure_channel(addr) as channel:
        call = channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        responses = call(iter([reflection_pb2.ServerReflectionRequest(file_containing_symbol=symbol)]), timeout=10)
        for response in responses:
            if response.HasField("error_response"):
                return {"error": response.error_response.error_message}
            return {"files": len(response.file_descriptor_response.file_descriptor_proto)}
    return {"error": "no response"}


def emit(obj):
    """One JSON result line on stdout for the TypeScript side of the test."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()
