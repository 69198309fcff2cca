/** The error family's structure: callers branch on code and operation, never on message text. */
import { expect, test } from "bun:test";
import { GrpcError, GrpcStatus } from "../src/etcd/grpc-status.ts";
import { cannot, ErrorCode, isRkeToolsError, names, RkeToolsError } from "../src/errors.ts";

test("cannot() shapes the message and records the operation it names; names() reads only that", () => {
  const e = cannot(ErrorCode.Io, "save snapshot x", new Error("disk full"));
  expect(e.message).toBe("Cannot save snapshot x: disk full");
  expect(e.operation).toBe("save snapshot x");
  expect(names(e, "save snapshot x")).toBe(true);
  expect(names(e, "save snapshot y")).toBe(false);
  // A message that merely reads alike does not count: only the recorded operation does.
  expect(names(new RkeToolsError(ErrorCode.Io, "Cannot save snapshot x: disk full"), "save snapshot x")).toBe(false);
  expect(names(new Error("Cannot save snapshot x: disk full"), "save snapshot x")).toBe(false);
});

test("a gRPC failure is a member of the family: code E_ETCD, gRPC's number in `status`, grpc-js's wording", () => {
  const e = new GrpcError(GrpcStatus.UNAVAILABLE, "connect ECONNREFUSED 127.0.0.1:1");
  expect(isRkeToolsError(e, ErrorCode.Etcd)).toBe(true);
  expect(e.status).toBe(14);
  expect(e.details).toBe("connect ECONNREFUSED 127.0.0.1:1");
  expect(e.message).toBe("14 UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:1");
});
