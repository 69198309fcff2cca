/**
 * S3 answers in XML. fast-xml-parser does the parsing (entities, CDATA); values stay strings so
 * that a key such as "2024" or "1e5" is not turned into a number.
 */
import { XMLParser } from "fast-xml-parser";

const ARRAYS = new Set(["Contents", "CommonPrefixes", "Part"]);

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  removeNSPrefix: true,
  isArray: (name) => ARRAYS.has(name),
});

export type XmlNode = { [name: string]: XmlValue };
export type XmlValue = string | XmlNode | XmlValue[];

export function parseXml(text: string): XmlNode {
  return parser.parse(text) as XmlNode;
}

/** A string child, "" when missing. */
export function text(node: XmlValue | undefined, name: string): string {
  if (!node || typeof node !== "object" || Array.isArray(node)) return "";
  const v = node[name];
  return typeof v === "string" ? v : "";
}

export function child(node: XmlValue | undefined, name: string): XmlNode | undefined {
  if (!node || typeof node !== "object" || Array.isArray(node)) return undefined;
  const v = node[name];
  return v && typeof v === "object" && !Array.isArray(v) ? v : undefined;
}

export function children(node: XmlValue | undefined, name: string): XmlNode[] {
  if (!node || typeof node !== "object" || Array.isArray(node)) return [];
  const v = node[name];
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.filter((x): x is XmlNode => typeof x === "object" && !Array.isArray(x));
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c]!);
}
