/** The error family's structure: callers branch on code and operation, never on message text. */
import { expect, test } from "bun:test";
import { cannot, ErrorCode, names, RkeToolsError } from "../src/errors.ts";

test("cannot() shapes the message and records the operation it names; names() reads only that", () => {
  const e = cannot(ErrorCode.Io, "save snapshot x", new Error("disk full"));
  expect(e.message).toBe("Cannot save snapshot x: disk full");
  expect(e.operation).toBe("save snapshot x");
  expect(names(e, "save snapshot x")).toBe(true);
  expect(names(e, "save snapshot y")).toBe(false);
  // A message that merely reads alike does not count: only the recorded operation does.
  expect(names(new RkeToolsError(ErrorCode.Io, "Cannot save snapshot x: disk full"), "save snapshot x")).toBe(false);
  expect(names(new Error("Cannot save snapshot x: disk full"), "save snapshot x")).toBe(false);
});
