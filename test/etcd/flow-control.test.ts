/**
 * HTTP/2 flow control against a real etcd: a consumer slower than etcd (tar.gz, a slow disk) must
 * hold etcd back, so that what waits in our memory stays within one receive window however large
 * the snapshot. Bun 1.4.4 regranted the window on every resume of a paused stream: with the
 * previous "data" + pause/resume reader this backlog grew to 478 MB of a 1.1 GB snapshot.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { EtcdClient, STREAM_WINDOW } from "../../src/etcd/client.ts";
import { parseEndpoints } from "../../src/etcd/endpoints.ts";
import { snapshot, type SnapshotInfo } from "../../src/etcd/snapshot.ts";
import { loadTlsFiles } from "../../src/tls/pem.ts";
import { describeWith } from "../support/components.ts";
import { etcdComponents, startEtcd, type EtcdServer } from "../support/etcd.ts";

const MIB = 2 ** 20;

describeWith(etcdComponents, "flow control of the snapshot stream (real etcd)", () => {
  let etcd: EtcdServer;
  beforeAll(async () => {
    etcd = await startEtcd();
    await etcd.fill(48 * MIB); // a dozen windows
  }, 120_000);
  afterAll(async () => {
    await etcd?.stop();
  });

  test("a slow consumer holds etcd back: never more than one window waits in memory", async () => {
    const client = EtcdClient.connect(parseEndpoints(etcd.endpoint)[0]!, loadTlsFiles({ cacert: etcd.pki.ca, cert: etcd.pki.client.cert, key: etcd.pki.client.key }));
    const info: Partial<SnapshotInfo> = {};
    let received = 0;
    try {
      for await (const piece of snapshot(client, { info })) {
        received += piece.byteLength;
        // Slower than etcd by CPU work, not by a clock, and yielding to the event loop as a real
        // consumer does while it waits for zlib or the disk (so that etcd's frames keep arriving).
        for (let i = 0; i < 16; i++) createHash("sha256").update(piece).digest();
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      client.close();
    }
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(received).toBeGreaterThan(48 * MIB);
    expect(received).toBe(info.bytes!);
    const peak = client.peakBacklog;
    // The consumer was slow enough for etcd to fill the window: the bound below was exercised.
    expect(peak).toBeGreaterThan(STREAM_WINDOW / 4);
    // One window, plus at most one socket read's worth of frames Bun took in before pausing.
    expect(peak).toBeLessThanOrEqual(STREAM_WINDOW + 1 * MIB);
  }, 120_000);
});
