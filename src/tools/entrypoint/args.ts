/**
 * The original inspects its arguments with `echo ${@} | grep`: a substring anywhere in the
 * arguments. These helpers keep that reading, one argument at a time.
 */

/** Some argument contains `text` (e.g. "cloud-provider=azure", "hostname-override"). */
export function anyArgContains(args: readonly string[], text: string): boolean {
  return args.some((a) => a.includes(text));
}

/** The whole `--name=value` argument, if given. */
export function flagArg(args: readonly string[], name: string): string | undefined {
  return args.find((a) => a.startsWith(`--${name}=`));
}

/** The value of `--name=value`, if given. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  return flagArg(args, name)?.slice(name.length + 3);
}

export const COMPONENTS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy"] as const;

/** kubelet and kube-proxy get --hostname-override from EC2 when RKE left it out (it does so for AWS). */
export function wantsHostname(argv: readonly string[]): boolean {
  const [component, ...args] = argv;
  return (component === "kubelet" || component === "kube-proxy") && !anyArgContains(args, "hostname-override");
}

export function wantsAzure(argv: readonly string[]): boolean {
  const [component, ...args] = argv;
  return (component === "kubelet" || component === "kube-apiserver" || component === "kube-controller-manager") && anyArgContains(args, "cloud-provider=azure");
}
