/** One S3 transfer for bench/s3.bench.ts, in its own process so that GNU time sees its peak RSS. */
import { createS3Client } from "../src/s3/index.ts";
import { downloadSnapshot, uploadSnapshot } from "../src/snapshot/stores/s3-snapshots.ts";
import { s3ConfigFromFlags } from "../src/tools/etcd-backup/s3-flags.ts";

const [op, bucket, endpoint, caFile, file, key, sha256] = process.argv.slice(2) as [string, string, string, string, string, string, string | undefined];
const b64 = (s: string) => Buffer.from(s).toString("base64");
const config = s3ConfigFromFlags(
  {
    "s3-endpoint": endpoint,
    "s3-accessKey": b64(process.env.BENCH_S3_ACCESS_KEY!),
    "s3-secretKey": b64(process.env.BENCH_S3_SECRET_KEY!),
    "s3-bucketName": bucket,
    "s3-region": "",
    "s3-endpoint-ca": caFile,
    "s3-folder": "",
  },
  {},
);
// No top-level await: compiled with --bytecode (CommonJS), as the product is.
async function main(): Promise<void> {
  const client = await createS3Client(config);
  const t = performance.now();
  // `save` hands the upload the digest it computed while writing the archive; so does the benchmark.
  if (op === "up") await uploadSnapshot(client, file, key, { sha256 });
  else await downloadSnapshot(client, key.replace(/\.zip$/, ""), file);
  process.stdout.write(`${performance.now() - t}\n`);
}
void main();
