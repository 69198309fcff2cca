import { afterEach, describe, expect, test } from "bun:test";
import { isRkeToolsError } from "../../src/errors.ts";
import { retryPolicy } from "../../src/retry/policy.ts";
import { dockerInfo } from "../../src/tools/entrypoint/docker.ts";
import { startDockerApi, type DockerApi } from "../support/docker-api.ts";

let api: DockerApi | undefined;
afterEach(async () => {
  await api?.stop();
  api = undefined;
});

describe("Docker Engine API over the unix socket", () => {
  test("cgroup driver, cgroup version and root dir from GET /info", async () => {
    api = startDockerApi({ CgroupDriver: "systemd", CgroupVersion: "2", DockerRootDir: "/data/docker" });
    expect(await dockerInfo(api.socket)).toEqual({ cgroupDriver: "systemd", cgroupVersion: "2", rootDir: "/data/docker" });
    expect(api.requests).toEqual(["GET /info"]);
  });

  test("a daemon older than API 1.40 reports no cgroup version: it only ran cgroup v1", async () => {
    api = startDockerApi({ CgroupDriver: "cgroupfs", DockerRootDir: "/var/lib/docker" });
    expect((await dockerInfo(api.socket)).cgroupVersion).toBe("1");
  });

  test("a restarting daemon is asked again", async () => {
    api = startDockerApi({ CgroupDriver: "cgroupfs", CgroupVersion: "1", DockerRootDir: "/var/lib/docker" });
    api.failNext(2);
    const info = await dockerInfo(api.socket, { retry: retryPolicy({ attempts: 3, delayMs: 1 }) });
    expect(info.cgroupDriver).toBe("cgroupfs");
    expect(api.requests).toHaveLength(3);
  });

  test("no socket: one clear error naming it", async () => {
    const err = await dockerInfo("/nonexistent/docker.sock", { retry: retryPolicy({ attempts: 1 }) }).catch((e: unknown) => e);
    expect(isRkeToolsError(err)).toBe(true);
    expect((err as Error).message).toStartWith("Cannot ask Docker for its info at /nonexistent/docker.sock:");
  });
});
