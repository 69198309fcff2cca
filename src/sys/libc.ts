/**
 * The few libc functions Bun has no API for, through bun:ffi. Opened on first use only, so tools
 * that never exec or mount pay nothing at start-up. glibc only (the executable is a glibc build).
 */
import { dlopen, read, type Pointer } from "bun:ffi";

const SYMBOLS = {
  execve: { args: ["ptr", "ptr", "ptr"], returns: "i32" },
  mount: { args: ["ptr", "ptr", "ptr", "u64", "ptr"], returns: "i32" },
  umount2: { args: ["ptr", "i32"], returns: "i32" },
  // Variadic in C; with integer arguments the SysV x86-64 and AAPCS64 calling conventions match.
  syscall: { args: ["i64", "i64", "i64", "i64"], returns: "i64" },
  fcntl: { args: ["i32", "i32", "i64"], returns: "i32" },
  flock: { args: ["i32", "i32"], returns: "i32" },
  signal: { args: ["i32", "ptr"], returns: "ptr" },
  sigprocmask: { args: ["i32", "ptr", "ptr"], returns: "i32" },
  getxattr: { args: ["ptr", "ptr", "ptr", "u64"], returns: "i64" },
  setxattr: { args: ["ptr", "ptr", "ptr", "u64", "i32"], returns: "i32" },
  lgetxattr: { args: ["ptr", "ptr", "ptr", "u64"], returns: "i64" },
  lsetxattr: { args: ["ptr", "ptr", "ptr", "u64", "i32"], returns: "i32" },
  strerror: { args: ["i32"], returns: "cstring" },
  __errno_location: { args: [], returns: "ptr" },
} as const;

type Libc = ReturnType<typeof dlopen<typeof SYMBOLS>>["symbols"];

let libc: Libc | undefined;

export function lib(): Libc {
  libc ??= dlopen("libc.so.6", SYMBOLS).symbols;
  return libc;
}

/** errno of the last failed call on this (the JS) thread; read right after the call. */
export function errno(): number {
  return read.i32(lib().__errno_location() as Pointer, 0);
}

export function strerror(n: number): string {
  return String(lib().strerror(n));
}
