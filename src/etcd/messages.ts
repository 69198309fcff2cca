/**
 * The few etcd v3 messages we use, encoded by hand on @bufbuild/protobuf's wire reader/writer so
 * that no .proto file is loaded at run time (a compiled executable has none, docs/contract.md §bun-11).
 * Field numbers from etcd's api/etcdserverpb/rpc.proto.
 */
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

export const Methods = {
  range: "/etcdserverpb.KV/Range",
  alarm: "/etcdserverpb.Maintenance/Alarm",
  snapshot: "/etcdserverpb.Maintenance/Snapshot",
} as const;

/** RangeRequest { bytes key = 1; } */
export function encodeRangeRequest(key: string): Uint8Array {
  return new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(new TextEncoder().encode(key)).finish();
}

/** AlarmRequest { AlarmAction action = 1 (GET = 0); uint64 memberID = 2; AlarmType alarm = 3 } — all defaults. */
export function encodeAlarmListRequest(): Uint8Array {
  return new Uint8Array(0);
}

export interface AlarmMember {
  memberId: bigint;
  /** AlarmType: 0 NONE, 1 NOSPACE, 2 CORRUPT. */
  alarm: number;
}

const ALARM_NAMES = ["NONE", "NOSPACE", "CORRUPT"];
export const alarmName = (a: number) => ALARM_NAMES[a] ?? String(a);

/** AlarmResponse { ResponseHeader header = 1; repeated AlarmMember alarms = 2; } */
export function decodeAlarmResponse(buf: Uint8Array): AlarmMember[] {
  const r = new BinaryReader(buf);
  const alarms: AlarmMember[] = [];
  while (r.pos < r.len) {
    const [field, wt] = r.tag();
    if (field === 2 && wt === WireType.LengthDelimited) alarms.push(decodeAlarmMember(r.bytes()));
    else r.skip(wt);
  }
  return alarms;
}

function decodeAlarmMember(buf: Uint8Array): AlarmMember {
  const r = new BinaryReader(buf);
  const m: AlarmMember = { memberId: 0n, alarm: 0 };
  while (r.pos < r.len) {
    const [field, wt] = r.tag();
    if (field === 1 && wt === WireType.Varint) m.memberId = BigInt(r.uint64());
    else if (field === 2 && wt === WireType.Varint) m.alarm = r.int32();
    else r.skip(wt);
  }
  return m;
}

export interface SnapshotChunk {
  /** Database bytes still to come after this chunk (etcd does not count its 32-byte hash trailer). */
  remaining: bigint;
  blob: Uint8Array;
}

/** SnapshotResponse { ResponseHeader header = 1; uint64 remaining_bytes = 2; bytes blob = 3; } */
export function decodeSnapshotResponse(buf: Uint8Array): SnapshotChunk {
  const r = new BinaryReader(buf);
  const out: SnapshotChunk = { remaining: 0n, blob: EMPTY };
  while (r.pos < r.len) {
    const [field, wt] = r.tag();
    if (field === 2 && wt === WireType.Varint) out.remaining = BigInt(r.uint64());
    else if (field === 3 && wt === WireType.LengthDelimited) out.blob = r.bytes();
    else r.skip(wt);
  }
  return out;
}

const EMPTY = new Uint8Array(0);
