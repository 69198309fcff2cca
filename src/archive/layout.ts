/**
 * The archive layout every RKE reader expects (spec b-3, original §5): entry names are absolute
 * paths, looked up by exact equality.
 */
export const snapshotEntryName = (name: string) => `/backup/${name}`;
export const stateEntryName = (name: string) => `/etc/kubernetes/${name}.rkestate`;
export const zipFileName = (name: string) => `${name}.zip`;
