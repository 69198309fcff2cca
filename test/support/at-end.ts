/**
 * Work to do once after the last test file of a `bun test` run: bun runs no `exit` handlers, but a
 * preloaded file's afterAll (bunfig.toml) runs after every file. Each task runs even if one before it
 * throws.
 */
import { afterAll } from "bun:test";

const tasks: (() => void)[] = [];

export function atEnd(task: () => void): void {
  tasks.push(task);
}

afterAll(() => {
  for (const task of tasks.splice(0).reverse()) {
    try {
      task();
    } catch (e) {
      process.stderr.write(`cleanup after the tests failed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
});
