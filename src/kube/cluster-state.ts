/**
 * RKE's cluster state for rolling snapshots, read from the Kubernetes API as the original read it
 * with kubectl: the Secret `kube-system/full-cluster-state` (base64 in `data["full-cluster-state"]`,
 * RKE v1.4.19+/v1.5.10+/v1.6.0+), else the ConfigMap of that name (plain JSON, older RKE). Returns
 * the state re-indented as the original writes it; the caller writes the file and decides that a
 * failure only warns. Neither key material nor the state ever reaches a log line.
 */
import { ErrorCode, RkeToolsError, messageOf } from "../errors.ts";
import { silentLogger, type Logger } from "../log/logger.ts";
import { abortError, retry, retryPolicy, type RetryPolicy } from "../retry/policy.ts";
import { indentJson } from "./json-indent.ts";
import { loadKubeconfig, type KubeClientConfig } from "./kubeconfig.ts";
import { KubeApiError, kubeGet, statusMessage, type KubeResponse } from "./request.ts";

export const STATE_NAME = "full-cluster-state";
export const SECRET_PATH = `/api/v1/namespaces/kube-system/secrets/${STATE_NAME}`;
export const CONFIGMAP_PATH = `/api/v1/namespaces/kube-system/configmaps/${STATE_NAME}`;

/** kubectl's `--request-timeout=30s`, per request. */
export const CLUSTER_STATE_TIMEOUT_MS = 30_000;
/** The original: 5 attempts, 15 s apart. */
export const CLUSTER_STATE_RETRY: RetryPolicy = retryPolicy({ attempts: 5, delayMs: 15_000 });

export interface FetchClusterStateOptions {
  signal?: AbortSignal;
  /** Attempts and delays; only transport errors, 5xx and 429 are retried (retryableStatus). */
  retry?: RetryPolicy;
  /** Bind the snapshot name with `log.with({ name })`, as the original's lines carry it. */
  log?: Logger;
  timeoutMs?: number;
}

export async function fetchClusterState(kubeconfigPath: string, opts: FetchClusterStateOptions = {}): Promise<string> {
  const log = opts.log ?? silentLogger;
  const policy = opts.retry ?? CLUSTER_STATE_RETRY;
  const timeoutMs = opts.timeoutMs ?? CLUSTER_STATE_TIMEOUT_MS;
  try {
    const cfg = await loadKubeconfig(kubeconfigPath);
    log.addSecret(cfg.key);
    return await retry(
      async (attempt) => {
        log.info(`Trying to retrieve secret ${STATE_NAME}`, { attempt });
        try {
          return await attemptOnce(cfg, { signal: opts.signal, timeoutMs, log, attempt });
        } catch (e) {
          if (!isRkeAbort(e)) log.warn(`Failed to retrieve secret ${STATE_NAME}`, { attempt, err: messageOf(e) });
          throw e;
        }
      },
      { ...policy, retryOn: (e, n) => !(e instanceof KubeApiError && !e.retryable) && policy.retryOn(e, n) },
      { signal: opts.signal },
    );
  } catch (e) {
    if (opts.signal?.aborted && !isRkeAbort(e)) e = abortError(opts.signal);
    const code = e instanceof RkeToolsError ? e.code : ErrorCode.Http;
    throw new RkeToolsError(code, `Cannot fetch cluster state: ${messageOf(e)}`, { cause: e });
  }
}

const isRkeAbort = (e: unknown) => e instanceof RkeToolsError && e.code === ErrorCode.Aborted;

interface AttemptOptions {
  signal?: AbortSignal;
  timeoutMs: number;
  log: Logger;
  attempt: number;
}

async function attemptOnce(cfg: KubeClientConfig, o: AttemptOptions): Promise<string> {
  const secret = await kubeGet(cfg, SECRET_PATH, o);
  if (ok(secret)) return fromSecret(secret.json);
  // 403 too: RKE lines that predate the Secret may not let the node read secrets at all.
  if (secret.status !== 404 && secret.status !== 403) throw httpError("secret", secret);

  o.log.info(`Trying to retrieve configmap ${STATE_NAME}`, { attempt: o.attempt });
  const cm = await kubeGet(cfg, CONFIGMAP_PATH, o);
  if (ok(cm)) return fromConfigMap(cm.json);
  if (secret.status === 404 && cm.status === 404) {
    throw new KubeApiError(`secret and configmap ${STATE_NAME} not found in namespace kube-system`, false, 404);
  }
  const s = httpError("secret", secret);
  const c = httpError("configmap", cm);
  throw new KubeApiError(`${s.message}; ${c.message}`, s.retryable || c.retryable, cm.status);
}

const ok = (r: KubeResponse) => r.status >= 200 && r.status < 300;

/**
 * Only the server's own trouble is worth another attempt, 15 s later (issue 19.18): 5xx, and 429
 * (the API's flow control saying "later"). 401/403/404 and other answers are the same next time;
 * a retried one only made that cycle's snapshot a minute late (the original retried none of these).
 */
export function retryableStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

function httpError(kind: string, r: KubeResponse): KubeApiError {
  const why = statusMessage(r.json);
  return new KubeApiError(`${kind} ${STATE_NAME}: HTTP ${r.status}${why ? `: ${why}` : ""}`, retryableStatus(r.status), r.status);
}

/** `data["full-cluster-state"]` of a Secret or ConfigMap body. */
function dataField(json: unknown, kind: string): string {
  const data = (json as { data?: unknown } | undefined)?.data;
  const v = typeof data === "object" && data !== null ? (data as Record<string, unknown>)[STATE_NAME] : undefined;
  if (typeof v !== "string" || v === "") throw content(kind, "has no data.full-cluster-state");
  return v;
}

function fromSecret(json: unknown): string {
  const b64 = dataField(json, "secret");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.fromBase64(b64));
  } catch {
    throw content("secret", "data.full-cluster-state is not valid base64 of UTF-8 text");
  }
  return indentState(text, "secret");
}

function fromConfigMap(json: unknown): string {
  return indentState(dataField(json, "configmap"), "configmap");
}

function indentState(text: string, kind: string): string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the offending token: it could be a piece of the state.
    throw content(kind, "data.full-cluster-state is not valid JSON");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw content(kind, "data.full-cluster-state is not a JSON object");
  return indentJson(text);
}

function content(kind: string, why: string): KubeApiError {
  return new KubeApiError(`${kind} ${STATE_NAME} ${why}`, false);
}
