/**
 * Tests use real parts (etcd, nginx, the S3 gateway, openssl, setfacl, root). When one is
 * missing, its tests fail under CI=true (CI must have everything) and are skipped with a printed
 * reason elsewhere, so a developer's machine without etcd still runs the rest.
 */
import { describe, expect, test } from "bun:test";

export interface Component {
  name: string;
  available: boolean;
  reason: string;
}

export const inCI = process.env.CI === "true";

export function component(name: string, probe: () => string | undefined): Component {
  let reason: string | undefined;
  try {
    reason = probe();
  } catch (e) {
    reason = e instanceof Error ? e.message : String(e);
  }
  return { name, available: reason === undefined, reason: reason ?? "" };
}

export const hasCommand = (cmd: string, hint: string) => component(cmd, () => (Bun.which(cmd) ? undefined : `${cmd} not found on PATH (${hint})`));

export const isRoot = component("root", () => (process.getuid?.() === 0 ? undefined : "needs root"));

/**
 * describe() that needs components: skipped with a printed reason when one is missing, except
 * under CI, where a first test fails naming what is missing.
 */
export function describeWith(needs: Component[], name: string, fn: () => void): void {
  const missing = needs.filter((c) => !c.available);
  if (missing.length === 0) return describe(name, fn);
  const why = missing.map((c) => `${c.name}: ${c.reason}`).join("; ");
  if (inCI) {
    describe(name, () => {
      test("required components are installed", () => {
        expect(why).toBe(""); // CI must provide every component
      });
    });
    return;
  }
  process.stderr.write(`skip: ${name}: ${why}\n`);
  describe.skip(name, fn);
}
