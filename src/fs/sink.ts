/**
 * Where bytes go, one chunk at a time: a file being written (AtomicFile), the archive writers'
 * output, what a reader hands an entry's bytes to (verify's checks). One shape for all of them, so
 * that a writer's output can be a file, a hashing tap or a check without an adapter.
 */
export interface ByteSink {
  /** The chunk is the sink's only until the call returns or its promise settles: the caller may reuse it then. */
  write(chunk: Uint8Array): void | Promise<void>;
}
