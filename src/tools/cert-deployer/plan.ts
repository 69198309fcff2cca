/**
 * What cert-deployer writes, from the environment (docs/contract.md §a.3, §d-15): every variable whose name
 * starts with `KUBE_` becomes `<name>.pem`, every `KUBECFG_` one `<name>.yaml`, the name lower-cased
 * with `_` → `-`. The original grepped `KUBE_` anywhere in `env` output; matching the prefix is the
 * sane equivalent and also handles IPv6 node names (`KUBE_ETCD_FD00::1`), which bash cannot read.
 */
export type ItemKind = "certificate" | "kubeconfig";

export interface Item {
  envName: string;
  fileName: string;
  kind: ItemKind;
  /** The value minus trailing newlines, plus exactly one (as `echo "$(echo "$v")"` did). */
  content: string;
}

export function fileNameFor(envName: string, kind: ItemKind): string {
  return `${envName.toLowerCase().replaceAll("_", "-")}${kind === "certificate" ? ".pem" : ".yaml"}`;
}

export function planFromEnv(env: Record<string, string | undefined>): Item[] {
  const items: Item[] = [];
  for (const [envName, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const kind: ItemKind | undefined = envName.startsWith("KUBECFG_") ? "kubeconfig" : envName.startsWith("KUBE_") ? "certificate" : undefined;
    if (!kind) continue;
    items.push({ envName, fileName: fileNameFor(envName, kind), kind, content: `${value.replace(/\n+$/, "")}\n` });
  }
  // Certificates first, as the original's two loops; sorted so runs are reproducible.
  return items.sort((a, b) => (a.kind === b.kind ? (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0) : a.kind === "certificate" ? -1 : 1));
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/;

/**
 * Is this PEM? At least one complete BEGIN/END block. Text around the blocks is allowed: custom
 * certificates exported by openssl carry "Bag Attributes" lines that the original passed through.
 */
export function looksLikePem(content: string): boolean {
  return PEM_BLOCK.test(content);
}
