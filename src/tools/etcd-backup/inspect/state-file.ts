/**
 * The state file as RKE reads it for a restore (rke cluster/state.go FullState): JSON with
 * `desiredState` and `currentState`, each with `rkeConfig` and `certificatesBundle` (name →
 * certificatePEM, keyPEM, …). A restore of a cluster whose certificates were rotated since the
 * nodes were set up needs the CA and the node certificates from `currentState`. Only names and
 * presence are reported: no key material leaves this file.
 */
import type { Check } from "./verify.ts";

export interface StateSummary {
  desiredState: boolean;
  currentState: boolean;
  /** `currentState.certificatesBundle` has kube-ca with its certificate and key. */
  ca: boolean;
  /** `currentState.certificatesBundle` has kube-node with a certificate. */
  nodeCertificate: boolean;
  /** etcd members' certificates (kube-etcd-<address>) in `currentState`. */
  etcdCertificates: number;
  certificates: string[];
  nodes: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const pem = (v: unknown, field: string) => isObj(v) && typeof v[field] === "string" && (v[field] as string).includes("-----BEGIN ");

/** Undefined when the JSON is not a full cluster state at all. */
export function summarizeState(json: unknown): StateSummary | undefined {
  if (!isObj(json) || (!isObj(json.desiredState) && !isObj(json.currentState))) return undefined;
  const current = isObj(json.currentState) ? json.currentState : {};
  const bundle = isObj(current.certificatesBundle) ? current.certificatesBundle : {};
  const config = isObj(current.rkeConfig) ? current.rkeConfig : isObj(json.desiredState) && isObj(json.desiredState.rkeConfig) ? json.desiredState.rkeConfig : {};
  const certificates = Object.keys(bundle).sort();
  return {
    desiredState: isObj(json.desiredState),
    currentState: isObj(json.currentState),
    ca: pem(bundle["kube-ca"], "certificatePEM") && pem(bundle["kube-ca"], "keyPEM"),
    nodeCertificate: pem(bundle["kube-node"], "certificatePEM"),
    etcdCertificates: certificates.filter((n) => n.startsWith("kube-etcd-") && pem(bundle[n], "certificatePEM")).length,
    certificates,
    nodes: Array.isArray(config.nodes) ? config.nodes.length : 0,
  };
}

/** What a restore can count on: a warning, not a failure, when the certificates are not there. */
export function stateChecks(entry: string, size: number, s: StateSummary | undefined): Check[] {
  if (!s) return [{ check: "state file", status: "fail", detail: `${entry}: JSON, but not RKE's cluster state (no desiredState or currentState)` }];
  const checks: Check[] = [{ check: "state file", status: "ok", detail: `${entry}, ${size} bytes of JSON: RKE cluster state, ${s.nodes} nodes` }];
  const missing = [!s.currentState && "currentState", !s.ca && "the CA (kube-ca with its key)", !s.nodeCertificate && "kube-node"].filter(Boolean);
  checks.push(
    missing.length === 0
      ? {
          check: "certificates",
          status: "ok",
          detail: `currentState carries kube-ca with its key, kube-node and ${s.etcdCertificates} etcd certificates (${s.certificates.length} in all)`,
        }
      : {
          check: "certificates",
          status: "warn",
          detail: `currentState lacks ${missing.join(", ")}: a restore needs the certificates still on the nodes (after a rotation, they will not match)`,
        },
  );
  return checks;
}
