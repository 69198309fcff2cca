/** Re-records test/cli/transcripts/ from the built executable (`npm run build` first). On purpose only. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CASES, TRANSCRIPTS_DIR, transcript } from "./transcripts.ts";

for (const c of CASES) writeFileSync(join(TRANSCRIPTS_DIR, `${c.id}.txt`), await transcript(c));
process.stdout.write(`recorded ${CASES.length} transcripts in ${TRANSCRIPTS_DIR}\n`);
