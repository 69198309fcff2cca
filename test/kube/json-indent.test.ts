import { describe, expect, test } from "bun:test";
import { indentJson } from "../../src/kube/json-indent.ts";

// What Go's json.Indent(dst, src, "", "  ") writes; for input without special escapes that is
// exactly JSON.stringify(JSON.parse(src), null, 2), which these cases use as the reference.
const plain = [
  `{}`,
  `{"a":1}`,
  `{"a":{},"b":[],"c":[1,2,{"d":null}],"e":true,"f":false,"g":-1.5}`,
  `{"nested":{"deep":{"deeper":[[],[[]],{"x":"y"}]}}}`,
  `{"s":"with {braces}, [brackets], colons: and \\"quotes\\" and \\\\ backslashes"}`,
  ` \n\t{ "spaced" : [ 1 , 2 ] ,"x" : { } }`,
];

describe("indentJson (Go's json.Indent)", () => {
  for (const src of plain) {
    test(`re-indents ${JSON.stringify(src).slice(0, 40)}`, () => {
      expect(indentJson(src)).toBe(JSON.stringify(JSON.parse(src), null, 2));
    });
  }

  test("keeps escapes, number literals and duplicate keys byte for byte", () => {
    // Go's encoder writes <, >, & as \u003c, \u003e, \u0026; JSON.stringify would turn them back
    // and would round the big integer.
    const src = `{"html":"\\u003cb\\u003e \\u0026","slash":"a\\/b","big":123456789012345678901,"dup":1,"dup":2,"f":1.0}`;
    expect(indentJson(src)).toBe(`{\n  "html": "\\u003cb\\u003e \\u0026",\n  "slash": "a\\/b",\n  "big": 123456789012345678901,\n  "dup": 1,\n  "dup": 2,\n  "f": 1.0\n}`);
  });

  test("drops leading whitespace, keeps trailing whitespace (as Go)", () => {
    expect(indentJson(`\n  {"a":1}\n`)).toBe(`{\n  "a": 1\n}\n`);
    expect(indentJson(`{"a":1}`).endsWith("}")).toBe(true);
  });

  test("non-ASCII text passes through unchanged", () => {
    expect(indentJson(`{"name":"ünïcødé ✓ 𝄞"}`)).toBe(`{\n  "name": "ünïcødé ✓ 𝄞"\n}`);
  });

  test("top-level scalars and arrays", () => {
    expect(indentJson(`"x"`)).toBe(`"x"`);
    expect(indentJson(`[1,[2]]`)).toBe(`[\n  1,\n  [\n    2\n  ]\n]`);
  });
});
