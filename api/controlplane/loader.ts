// Loads control.proto for grpc-js with the same options the typed bindings in
// generated/ were made with (tools/gen-protos.mjs), so handler types match the
// objects grpc-js passes at run time.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoDir } from '../proto-files.js';
import type { ProtoGrpcType } from './generated/control.js';

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [],
};

export interface ControlPlaneProtos {
  readonly packageDefinition: protoLoader.PackageDefinition;
  readonly grpcObject: ProtoGrpcType;
}

let cached: ControlPlaneProtos | undefined;

export function loadControlPlane(): ControlPlaneProtos {
  if (cached) return cached;
  const packageDefinition = protoLoader.loadSync('baton/v1/control.proto', { ...LOADER_OPTIONS, includeDirs: [protoDir()] });
  const grpcObject = grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;
  cached = { packageDefinition, grpcObject };
  return cached;
}

/** Fully qualified names of Baton's gRPC services. */
export const SERVICE_NAMES = ['baton.v1.Pipelines', 'baton.v1.Sessions', 'baton.v1.Authority', 'baton.v1.Scripts', 'baton.v1.Timelines'] as const;
