/**
 * The archive layout every RKE reader expects (docs/contract.md §b-3, §o-5): entry names are absolute
 * paths, looked up by exact equality.
 */
export const snapshotEntryName = (name: string) => `/backup/${name}`;
export const stateEntryName = (name: string) => `/etc/kubernetes/${name}.rkestate`;
export const zipFileName = (name: string) => `${name}.zip`;
