/**
 * The EC2 instance metadata service on loopback: IMDSv2 session tokens (PUT /latest/api/token with
 * X-aws-ec2-metadata-token-ttl-seconds, 1–21600), then GET /latest/meta-data/hostname with
 * X-aws-ec2-metadata-token. Modes: "v2" (token required, the IMDSv2-only setting of
 * rancher/rancher#46582), "optional" (token or none), "v1" (no token endpoint: 404),
 * "unavailable" (every request 503).
 */
import { randomBytes } from "node:crypto";

export type ImdsMode = "v2" | "optional" | "v1" | "unavailable";

export interface Ec2Imds {
  url: string;
  /** Method, path and whether a valid token came with it, per request. */
  requests: { method: string; path: string; ttl?: string; token: "valid" | "invalid" | "none" }[];
  tokens: string[];
  stop(): Promise<void>;
}

export function startEc2Imds(hostname: string, mode: ImdsMode = "v2"): Ec2Imds {
  const tokens: string[] = [];
  const requests: Ec2Imds["requests"] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const path = new URL(req.url).pathname;
      const sent = req.headers.get("x-aws-ec2-metadata-token");
      const token = sent === null ? "none" : tokens.includes(sent) ? "valid" : "invalid";
      const ttl = req.headers.get("x-aws-ec2-metadata-token-ttl-seconds") ?? undefined;
      requests.push({ method: req.method, path, ttl, token });
      if (mode === "unavailable") return new Response("", { status: 503 });
      if (path === "/latest/api/token") {
        if (mode === "v1") return new Response("", { status: 404 });
        if (req.method !== "PUT") return new Response("", { status: 405 });
        const n = Number(ttl);
        if (!ttl || !Number.isInteger(n) || n < 1 || n > 21600) return new Response("", { status: 400 });
        const t = randomBytes(30).toString("base64");
        tokens.push(t);
        return new Response(t, { headers: { "X-Aws-Ec2-Metadata-Token-Ttl-Seconds": String(n) } });
      }
      if (req.method !== "GET") return new Response("", { status: 405 });
      if (token === "invalid" || (token === "none" && mode === "v2")) return new Response("", { status: 401 });
      if (path === "/latest/meta-data/hostname") return new Response(hostname, { headers: { "Content-Type": "text/plain" } });
      return new Response("", { status: 404 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, requests, tokens, stop: () => server.stop(true) };
}
