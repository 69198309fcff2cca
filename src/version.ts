// Stamped by compile/build.ts through --define; "dev" when run from source.
declare const RKE_TOOLS_VERSION: string | undefined;
declare const RKE_TOOLS_COMMIT: string | undefined;

export const version: string = typeof RKE_TOOLS_VERSION === "string" ? RKE_TOOLS_VERSION : "dev";
export const commit: string = typeof RKE_TOOLS_COMMIT === "string" ? RKE_TOOLS_COMMIT : "unknown";
export const versionLine = `${version} (commit ${commit})`;
