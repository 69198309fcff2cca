/**
 * A Docker Engine API on a unix socket, speaking HTTP/1.1 as dockerd does: GET /_ping, GET /info
 * (optionally with a /vX.Y prefix) with the fields the entrypoint reads. Records each request.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface DockerInfoFields {
  CgroupDriver?: string;
  CgroupVersion?: string;
  DockerRootDir?: string;
}

export interface DockerApi {
  socket: string;
  requests: string[];
  /** Answer this many /info requests with 500 before answering properly. */
  failNext(n: number): void;
  stop(): Promise<void>;
}

export function startDockerApi(info: DockerInfoFields, socket?: string): DockerApi {
  const dir = socket ? undefined : mkdtempSync(join(tmpdir(), "docker-api-"));
  const path = socket ?? join(dir!, "docker.sock");
  const requests: string[] = [];
  let failures = 0;
  const server = Bun.serve({
    unix: path,
    fetch(req) {
      const url = new URL(req.url);
      requests.push(`${req.method} ${url.pathname}`);
      const route = url.pathname.replace(/^\/v1\.\d+/, "");
      const headers = { "Api-Version": "1.43", "Content-Type": "application/json", Server: "Docker/24.0.7 (linux)" };
      if (req.method === "GET" && route === "/_ping") return new Response("OK", { headers: { ...headers, "Content-Type": "text/plain" } });
      if (req.method === "GET" && route === "/info") {
        if (failures > 0) {
          failures--;
          return Response.json({ message: "daemon is restarting" }, { status: 500, headers });
        }
        return Response.json({ ID: "test", Containers: 3, Driver: "overlay2", OSType: "linux", ...info }, { headers });
      }
      return Response.json({ message: `page not found` }, { status: 404, headers });
    },
  });
  return {
    socket: path,
    requests,
    failNext: (n) => {
      failures = n;
    },
    stop: async () => {
      await server.stop(true);
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
