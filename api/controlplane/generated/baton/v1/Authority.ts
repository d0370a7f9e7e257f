// Original file: proto/baton/v1/control.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AcquireLeaseRequest as _baton_v1_AcquireLeaseRequest, AcquireLeaseRequest__Output as _baton_v1_AcquireLeaseRequest__Output } from '../../baton/v1/AcquireLeaseRequest.js';
import type { GetLeaseRequest as _baton_v1_GetLeaseRequest, GetLeaseRequest__Output as _baton_v1_GetLeaseRequest__Output } from '../../baton/v1/GetLeaseRequest.js';
import type { Lease as _baton_v1_Lease, Lease__Output as _baton_v1_Lease__Output } from '../../baton/v1/Lease.js';
import type { ReleaseLeaseRequest as _baton_v1_ReleaseLeaseRequest, ReleaseLeaseRequest__Output as _baton_v1_ReleaseLeaseRequest__Output } from '../../baton/v1/ReleaseLeaseRequest.js';
import type { RenewLeaseRequest as _baton_v1_RenewLeaseRequest, RenewLeaseRequest__Output as _baton_v1_RenewLeaseRequest__Output } from '../../baton/v1/RenewLeaseRequest.js';
import type { TransferLeaseRequest as _baton_v1_TransferLeaseRequest, TransferLeaseRequest__Output as _baton_v1_TransferLeaseRequest__Output } from '../../baton/v1/TransferLeaseRequest.js';

export interface AuthorityClient extends grpc.Client {
  AcquireLease(argument: _baton_v1_AcquireLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  AcquireLease(argument: _baton_v1_AcquireLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  AcquireLease(argument: _baton_v1_AcquireLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  AcquireLease(argument: _baton_v1_AcquireLeaseRequest, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  acquireLease(argument: _baton_v1_AcquireLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  acquireLease(argument: _baton_v1_AcquireLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  acquireLease(argument: _baton_v1_AcquireLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  acquireLease(argument: _baton_v1_AcquireLeaseRequest, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  
  GetLease(argument: _baton_v1_GetLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  GetLease(argument: _baton_v1_GetLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  GetLease(argument: _baton_v1_GetLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  GetLease(argument: _baton_v1_GetLeaseRequest, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  getLease(argument: _baton_v1_GetLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  getLease(argument: _baton_v1_GetLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  getLease(argument: _baton_v1_GetLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  getLease(argument: _baton_v1_GetLeaseRequest, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  
  ReleaseLease(argument: _baton_v1_ReleaseLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  ReleaseLease(argument: _baton_v1_ReleaseLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  ReleaseLease(argument: _baton_v1_ReleaseLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  ReleaseLease(argument: _baton_v1_ReleaseLeaseRequest, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  releaseLease(argument: _baton_v1_ReleaseLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  releaseLease(argument: _baton_v1_ReleaseLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  releaseLease(argument: _baton_v1_ReleaseLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  releaseLease(argument: _baton_v1_ReleaseLeaseRequest, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  
  RenewLease(argument: _baton_v1_RenewLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  RenewLease(argument: _baton_v1_RenewLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  RenewLease(argument: _baton_v1_RenewLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  RenewLease(argument: _baton_v1_RenewLeaseRequest, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  renewLease(argument: _baton_v1_RenewLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  renewLease(argument: _baton_v1_RenewLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  renewLease(argument: _baton_v1_RenewLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  renewLease(argument: _baton_v1_RenewLeaseRequest, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  
  TransferLease(argument: _baton_v1_TransferLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  TransferLease(argument: _baton_v1_TransferLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  TransferLease(argument: _baton_v1_TransferLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  TransferLease(argument: _baton_v1_TransferLeaseRequest, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  transferLease(argument: _baton_v1_TransferLeaseRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  transferLease(argument: _baton_v1_TransferLeaseRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  transferLease(argument: _baton_v1_TransferLeaseRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  transferLease(argument: _baton_v1_TransferLeaseRequest, callback: grpc.requestCallback<_baton_v1_Lease__Output>): grpc.ClientUnaryCall;
  
}

export interface AuthorityHandlers extends grpc.UntypedServiceImplementation {
  AcquireLease: grpc.handleUnaryCall<_baton_v1_AcquireLeaseRequest__Output, _baton_v1_Lease>;
  
  GetLease: grpc.handleUnaryCall<_baton_v1_GetLeaseRequest__Output, _baton_v1_Lease>;
  
  ReleaseLease: grpc.handleUnaryCall<_baton_v1_ReleaseLeaseRequest__Output, _baton_v1_Lease>;
  
  RenewLease: grpc.handleUnaryCall<_baton_v1_RenewLeaseRequest__Output, _baton_v1_Lease>;
  
  TransferLease: grpc.handleUnaryCall<_baton_v1_TransferLeaseRequest__Output, _baton_v1_Lease>;
  
}

export interface AuthorityDefinition extends grpc.ServiceDefinition {
  AcquireLease: MethodDefinition<_baton_v1_AcquireLeaseRequest, _baton_v1_Lease, _baton_v1_AcquireLeaseRequest__Output, _baton_v1_Lease__Output>
  GetLease: MethodDefinition<_baton_v1_GetLeaseRequest, _baton_v1_Lease, _baton_v1_GetLeaseRequest__Output, _baton_v1_Lease__Output>
  ReleaseLease: MethodDefinition<_baton_v1_ReleaseLeaseRequest, _baton_v1_Lease, _baton_v1_ReleaseLeaseRequest__Output, _baton_v1_Lease__Output>
  RenewLease: MethodDefinition<_baton_v1_RenewLeaseRequest, _baton_v1_Lease, _baton_v1_RenewLeaseRequest__Output, _baton_v1_Lease__Output>
  TransferLease: MethodDefinition<_baton_v1_TransferLeaseRequest, _baton_v1_Lease, _baton_v1_TransferLeaseRequest__Output, _baton_v1_Lease__Output>
}
