/**
 * execve(2): replace this process with another program, same PID, so that the container's signals
 * reach that program directly (nginx-proxy's nginx, the entrypoint's kubelet) — what `exec` does in
 * the original shell scripts. Bun has no exec, only spawn.
 *
 * Before the call: the Bun runtime ignores SIGPIPE and SIGXFSZ (measured: SigIgn 1001000 in the new
 * program otherwise) and execve keeps ignored signals and the signal mask, so ignored signals go back
 * to default and the mask is cleared (a program must start as if started by its parent). Descriptors
 * Bun opened for itself are marked close-on-exec; stdio is put back in blocking mode.
 */
import { accessSync, constants as fsc, readdirSync, readFileSync, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { ErrorCode, RkeToolsError } from "../errors.ts";
import { cstring, cstringArray } from "./cstr.ts";
import { SysError } from "./errors.ts";
import { errno, lib } from "./libc.ts";

const SIG_SETMASK = 2;
const F_GETFD = 1;
const F_SETFD = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const FD_CLOEXEC = 1;
const O_NONBLOCK = 0o4000;
const SYS_close_range = 436; // same number on x86-64 and arm64
const CLOSE_RANGE_CLOEXEC = 1 << 2;

export interface ExecOptions {
  /** Descriptors above 2 to pass to the new program (all others are closed at exec). */
  keepFds?: number[];
}

/**
 * Replaces the process with `path` (no PATH search). Never returns: on failure it throws a
 * SysError (code E_EXEC) naming the program and errno.
 */
export function execve(path: string, argv: readonly string[], env: Record<string, string | undefined>, opts: ExecOptions = {}): never {
  const file = cstring(path, "program path");
  const args = cstringArray(argv, "argv");
  const envp = cstringArray(
    Object.entries(env)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${k}=${v}`),
    "environment",
  );
  try {
    // The common failures (missing, not executable) before anything about this process is changed.
    accessSync(path, fsc.X_OK);
  } catch (e) {
    throw new SysError(ErrorCode.Exec, `execute ${path}`, Math.abs((e as NodeJS.ErrnoException).errno ?? 2));
  }
  prepareForExec(opts.keepFds ?? []);
  const rc = lib().execve(file, args.pointer, envp.pointer);
  const n = errno();
  void [args.keep, envp.keep]; // referenced until here: the C pointers point into them
  void rc; // execve returns only on failure (-1)
  throw new SysError(ErrorCode.Exec, `execute ${path}`, n);
}

/**
 * execvp(3) semantics: a name without '/' is looked up in PATH (from `env`, else the usual
 * default); then execve. Throws E_EXEC "executable file not found in $PATH" when no entry matches.
 */
export function execvp(file: string, argv: readonly string[], env: Record<string, string | undefined>, opts: ExecOptions = {}): never {
  return execve(findExecutable(file, env.PATH), argv, env, opts);
}

/** Resolves a program name as execvp would, or throws. */
export function findExecutable(file: string, path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"): string {
  if (file === "") throw new RkeToolsError(ErrorCode.Exec, "Cannot execute an empty program name");
  if (file.includes("/")) return file;
  for (const dir of path.split(delimiter)) {
    const candidate = join(dir || ".", file);
    try {
      accessSync(candidate, fsc.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  throw new RkeToolsError(ErrorCode.Exec, `Cannot execute ${file}: executable file not found in $PATH`);
}

function prepareForExec(keepFds: number[]): void {
  const c = lib();
  // Signals with a handler go back to default by themselves at exec; ignored ones would not.
  // (The runtime's own handlers, e.g. the GC's thread-suspend signal, are left alone until then.)
  for (const sig of ignoredSignals()) c.signal(sig, null); // SIG_DFL
  c.sigprocmask(SIG_SETMASK, new Uint8Array(128), null);
  for (let fd = 0; fd <= 2; fd++) {
    const fl = c.fcntl(fd, F_GETFL, 0);
    if (fl >= 0 && fl & O_NONBLOCK) c.fcntl(fd, F_SETFL, BigInt(fl & ~O_NONBLOCK));
  }
  const keep = new Set(keepFds);
  if (keep.size === 0 && c.syscall(BigInt(SYS_close_range), 3n, 0xffffffffn, BigInt(CLOSE_RANGE_CLOEXEC)) === 0n) return;
  // Older kernels (< 5.11) or fds to keep: mark each open descriptor by hand.
  let fds: string[] = [];
  try {
    fds = readdirSync("/proc/self/fd");
  } catch {
    return;
  }
  for (const name of fds) {
    const fd = Number(name);
    if (fd <= 2) continue;
    const flags = c.fcntl(fd, F_GETFD, 0);
    if (flags < 0) continue; // the directory listing's own descriptor, already closed
    const want = keep.has(fd) ? flags & ~FD_CLOEXEC : flags | FD_CLOEXEC;
    if (want !== flags) c.fcntl(fd, F_SETFD, BigInt(want));
  }
}

/** Signal numbers this process ignores, from the SigIgn mask in /proc/self/status. */
function ignoredSignals(): number[] {
  let mask = 0n;
  try {
    const m = /^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
    mask = m ? BigInt(`0x${m[1]}`) : 0n;
  } catch {
    return [13, 25]; // no /proc: SIGPIPE and SIGXFSZ, the two the Bun runtime ignores
  }
  const out: number[] = [];
  for (let sig = 1; sig <= 64; sig++) if ((mask >> BigInt(sig - 1)) & 1n) out.push(sig);
  return out;
}
