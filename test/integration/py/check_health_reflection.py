"""Checks a running kernel's gRPC health and reflection with the C-core client.

usage: check_health_reflection.py GRPC_ADDR DEV_KEY
Prints one JSON object: health per service, the listed services, whether the
Sessions descriptor resolves, and the status of an unauthenticated call.
"""
import sys

import batonpy
import grpc

addr, key = sys.argv[1], sys.argv[2]
result = {
    "health": batonpy.health(addr),
    "health_sessions": batonpy.health(addr, "baton.v1.Sessions"),
    "services": batonpy.list_services(addr),
    "sessions_descriptor": batonpy.file_containing_symbol(addr, "baton.v1.Sessions"),
}
with grpc.insecure_channel(addr) as channel:
    try:
        batonpy.unary(channel, "/baton.v1.Sessions/GetSession", batonpy.control_pb2.GetSessionRequest(session_id="x"), batonpy.control_pb2.Session)
        result["unauthenticated"] = "OK"
    except grpc.RpcError as err:
        result["unauthenticated"] = err.code().name
batonpy.emit(result)
