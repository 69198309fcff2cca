import { expect } from "bun:test";
import { RkeToolsError } from "../../src/errors.ts";

/** Awaits `p`, which must reject with an RkeToolsError, and returns that error for further checks. */
export async function rejection(p: Promise<unknown>): Promise<RkeToolsError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(RkeToolsError);
    return e as RkeToolsError;
  }
  throw new Error("expected a rejection");
}
