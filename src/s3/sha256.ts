/** SHA-256 of a file, streamed (native hasher; memory does not grow with the file). */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) {
    signal?.throwIfAborted();
    hasher.update(chunk);
  }
  return hasher.digest("hex");
}

/** Object metadata name (x-amz-meta-sha256) under which uploads record the archive's digest. */
export const SHA256_META = "sha256";
