/** `checkBolt` alone on one file, for bench/verify.bench.ts: the bbolt check and status without verify's other reads. */
import { checkBolt } from "../src/bbolt/check.ts";

const c = await checkBolt(process.argv[2]!);
process.stdout.write(JSON.stringify(c.status) + "\n");
process.exitCode = c.ok ? 0 : 1;
