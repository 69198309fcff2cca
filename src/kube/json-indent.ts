/**
 * Go's `json.Indent(dst, src, "", "  ")`, which the original uses for the state file: it changes
 * whitespace only. Re-serialising with JSON.stringify would not be byte-equal: it rewrites the
 * escapes Go's encoder writes (`\u003c`, `\u0026`), rounds integers above 2^53 and drops
 * duplicate keys. Like Go: `{}`/`[]` stay empty, `": "` after a key, leading whitespace dropped,
 * whitespace after the top-level value kept. `src` must already be valid JSON (the caller checks).
 */
const WS = new Set([" ", "\t", "\n", "\r"]);
const SCALAR_END = new Set([" ", "\t", "\n", "\r", ",", ":", "]", "}"]);

export function indentJson(src: string, indent = "  "): string {
  const out: string[] = [];
  const newline = (depth: number) => "\n" + indent.repeat(depth);
  let depth = 0; // Go's indentation depth (raised lazily so that empty containers stay `{}`)
  let level = 0; // nesting level, to know when the top-level value is complete
  let needIndent = false;
  let done = false;
  const n = src.length;
  for (let i = 0; i < n; ) {
    const c = src[i]!;
    if (WS.has(c)) {
      if (done) out.push(c);
      i++;
      continue;
    }
    if (needIndent && c !== "}" && c !== "]") {
      needIndent = false;
      depth++;
      out.push(newline(depth));
    }
    switch (c) {
      case "{":
      case "[":
        needIndent = true;
        level++;
        out.push(c);
        i++;
        break;
      case ",":
        out.push(",", newline(depth));
        i++;
        break;
      case ":":
        out.push(": ");
        i++;
        break;
      case "}":
      case "]":
        if (needIndent) needIndent = false;
        else out.push(newline(--depth));
        out.push(c);
        i++;
        if (--level === 0) done = true;
        break;
      case '"': {
        let j = i + 1;
        while (j < n && src[j] !== '"') j += src[j] === "\\" ? 2 : 1;
        out.push(src.slice(i, j + 1));
        i = j + 1;
        if (level === 0) done = true;
        break;
      }
      default: {
        let j = i + 1;
        while (j < n && !SCALAR_END.has(src[j]!)) j++;
        out.push(src.slice(i, j));
        i = j;
        if (level === 0) done = true;
      }
    }
  }
  return out.join("");
}
