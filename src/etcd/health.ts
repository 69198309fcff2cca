/**
 * `etcdctl endpoint health`, as etcdctl 3.4/3.5 does it: a linearizable Get of the key "health"
 * (permission denied still proves consensus), then no active alarm. Per endpoint, 5 s each.
 */
import { ErrorCode, RkeToolsError } from "../errors.ts";
import type { EtcdClient } from "./client.ts";
import { grpcMessage, GrpcStatus, isGrpcError } from "./grpc-status.ts";
import { alarmName, decodeAlarmResponse, encodeAlarmListRequest, encodeRangeRequest, Methods } from "./messages.ts";

export const HEALTH_TIMEOUT_MS = 5_000;

export interface HealthResult {
  endpoint: string;
  healthy: boolean;
  /** etcdctl's line: "<ep> is healthy: …" / "<ep> is unhealthy: …". */
  line: string;
}

export async function checkHealth(client: EtcdClient, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<HealthResult> {
  const ep = client.endpoint.text;
  const timeoutMs = opts.timeoutMs ?? HEALTH_TIMEOUT_MS;
  const started = performance.now();
  try {
    await client.unary(Methods.range, encodeRangeRequest("health"), () => undefined, { timeoutMs, signal: opts.signal });
  } catch (e) {
    opts.signal?.throwIfAborted();
    if (!(isGrpcError(e) && e.status === GrpcStatus.PERMISSION_DENIED)) {
      return { endpoint: ep, healthy: false, line: `${ep} is unhealthy: failed to commit proposal: ${grpcMessage(e)}` };
    }
  }
  try {
    const alarms = await client.unary(Methods.alarm, encodeAlarmListRequest(), decodeAlarmResponse, { timeoutMs, signal: opts.signal });
    const active = alarms.filter((a) => a.alarm !== 0);
    if (active.length > 0) {
      const list = active.map((a) => `memberID:${a.memberId} alarm:${alarmName(a.alarm)}`).join(" ");
      return { endpoint: ep, healthy: false, line: `${ep} is unhealthy: Active Alarm(s): ${list}` };
    }
  } catch (e) {
    opts.signal?.throwIfAborted();
    return { endpoint: ep, healthy: false, line: `${ep} is unhealthy: failed to get alarm list: ${grpcMessage(e)}` };
  }
  const took = (performance.now() - started).toFixed(3);
  return { endpoint: ep, healthy: true, line: `${ep} is healthy: successfully committed proposal: took = ${took}ms` };
}

/** Thrown when an endpoint is unhealthy: the only health failure worth a retry (docs/contract.md §d-21). */
export class UnhealthyError extends RkeToolsError {
  override readonly name = "UnhealthyError";
  constructor(readonly lines: string[]) {
    super(ErrorCode.Etcd, `etcd is unhealthy: ${lines.join("; ")}`);
  }
}
