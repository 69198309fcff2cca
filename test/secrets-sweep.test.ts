import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sweep } from "./support/secrets.ts";

test("the secrets sweep finds declared secrets and PEM private keys in captured output", () => {
  const dir = mkdtempSync(join(tmpdir(), "sweep-"));
  mkdirSync(join(dir, "captured"));
  mkdirSync(join(dir, "secrets"));
  writeFileSync(join(dir, "secrets", "a"), "localS3TestSecretKey0000");
  writeFileSync(join(dir, "captured", "clean.log"), '# save --s3-secretKey localS3TestSecretKey0000\ntime="x" level=info msg="ok" s3-secretKey="[REDACTED]"\n');
  expect(sweep(dir).hits).toEqual([]);
  writeFileSync(join(dir, "captured", "leak.log"), "# label\nAuthorization uses localS3TestSecretKey0000\n-----BEGIN PRIVATE KEY-----\n");
  const r = sweep(dir);
  rmSync(dir, { recursive: true, force: true });
  expect(r.files).toBe(2);
  expect(r.hits.map((h) => h.what).sort()).toEqual(["a PEM private key", "declared secret loc…(24 chars)"]);
});
