/**
 * The Azure cloud-config fix-up (the original's cloud-provider.sh, without az and jq): fill in
 * resource group, location, VNet, subnet, NSG and the VNet's resource group from the instance
 * metadata service and the ARM REST API, logging in with the client credentials of the
 * cloud-config itself. The file is rewritten atomically, and only when every value was found (a NIC
 * without a security group gives the word "null", as in the original).
 */
import { readFile } from "node:fs/promises";
import { ErrorCode, RkeToolsError, messageOf } from "../../errors.ts";
import { writeFileAtomic } from "../../fs/atomic.ts";
import { silentLogger, type Logger } from "../../log/logger.ts";
import { azureCloud } from "./azure-cloud.ts";

export const IMDS_API_VERSION = "2019-08-15";
const COMPUTE_API = "2023-03-01";
const NETWORK_API = "2023-05-01";
/** The VMSS network-interface views of Microsoft.Compute exist only in older API versions. */
const VMSS_NIC_API = "2018-10-01";

export interface AzureOptions {
  /** http://169.254.169.254 in production. */
  imds: string;
  /** Override the cloud's endpoints (tests). */
  aad?: string;
  arm?: string;
  signal?: AbortSignal;
  log?: Logger;
  /** Per request. Default 20 s. */
  timeoutMs?: number;
}

export interface AzureResult {
  updated: boolean;
  /** Keys that stayed empty (then nothing was written). */
  missing: string[];
}

type Config = Record<string, unknown>;

const REQUIRED = ["subscriptionId", "location", "resourceGroup", "vnetResourceGroup", "subnetName", "vnetName", "securityGroupName"] as const;

export async function fixAzureCloudConfig(path: string, opts: AzureOptions): Promise<AzureResult> {
  const log = opts.log ?? silentLogger;
  const config = await readConfig(path);
  const str = (k: string) => (typeof config[k] === "string" ? (config[k] as string) : "");
  log.addSecret(str("aadClientSecret"));
  const http = new Http(opts);

  const values: Record<(typeof REQUIRED)[number], string> = {
    subscriptionId: str("subscriptionId"),
    location: str("location") || (await http.imds("location")),
    resourceGroup: str("resourceGroup") || (await http.imds("resourceGroupName")),
    vnetResourceGroup: str("vnetResourceGroup"),
    subnetName: str("subnetName"),
    vnetName: str("vnetName"),
    securityGroupName: str("securityGroupName"),
  };
  if (!values.vnetResourceGroup || !values.subnetName || !values.vnetName || !values.securityGroupName) {
    const cloud = azureCloud(str("cloud"));
    const token = await http.token(opts.aad ?? cloud.aad, cloud.scope, str("tenantId"), str("aadClientId"), str("aadClientSecret"));
    log.addSecret(token);
    const arm = new Arm(http, opts.arm ?? cloud.arm, token, `/subscriptions/${enc(values.subscriptionId)}/resourceGroups/${enc(values.resourceGroup)}`);
    const vmName = await http.imds("name");
    const nic = str("vmType") === "vmss" ? await arm.vmssNic(await http.imds("vmScaleSetName"), vmName) : await arm.vmNic(vmName);
    const subnet = idParts(nic.subnetId);
    values.subnetName ||= subnet[10] ?? "";
    values.vnetName ||= subnet[8] ?? "";
    values.vnetResourceGroup ||= subnet[4] ?? "";
    if (!values.securityGroupName && !nic.nsgId) {
      // The NSG sits on the subnet, not the NIC. The original wrote the word its jq printed, and
      // with it every value it found: so do we, rather than leave the cloud config empty.
      log.warn('The network interface has no network security group (it may sit on the subnet): securityGroupName set to "null", as the original did');
      values.securityGroupName = "null";
    }
    values.securityGroupName ||= idParts(nic.nsgId)[8] ?? "";
  }

  const missing = REQUIRED.filter((k) => !values[k]);
  if (missing.length > 0) return { updated: false, missing };
  const updated: Config = { ...config, ...values, useInstanceMetadata: true };
  await writeFileAtomic(path, JSON.stringify(updated, null, 2) + "\n", { mode: 0o600 });
  return { updated: true, missing: [] };
}

async function readConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new RkeToolsError(ErrorCode.NotFound, `Cannot read the Azure cloud config ${path}: ${(e as NodeJS.ErrnoException).code ?? messageOf(e)}`, { cause: e });
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Config;
  } catch {
    // reported below
  }
  throw new RkeToolsError(ErrorCode.InvalidInput, `Cannot read the Azure cloud config ${path}: it is not a JSON object`);
}

/** `/subscriptions/S/resourceGroups/RG/providers/P/T/NAME/...` split on "/" (as the original's `cut`). */
function idParts(id: string | undefined): string[] {
  return (id ?? "").split("/");
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

class Http {
  constructor(private readonly opts: AzureOptions) {}

  async imds(field: string): Promise<string> {
    const url = `${this.opts.imds}/metadata/instance/compute/${field}?api-version=${IMDS_API_VERSION}&format=text`;
    return (await this.text(url, { headers: { Metadata: "true" } }, "the Azure instance metadata service")).trim();
  }

  /** OAuth2 client-credentials grant (AAD v2 endpoint). */
  async token(aad: string, scope: string, tenant: string, clientId: string, secret: string): Promise<string> {
    if (!tenant || !clientId || !secret)
      throw new RkeToolsError(ErrorCode.InvalidInput, "Cannot log in to Azure: tenantId, aadClientId or aadClientSecret is empty in the cloud config");
    const body = new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: secret, scope });
    const text = await this.text(`${aad}/${enc(tenant)}/oauth2/v2.0/token`, { method: "POST", body, headers: { "Content-Type": "application/x-www-form-urlencoded" } }, "Azure AD");
    const token = (JSON.parse(text) as { access_token?: unknown }).access_token;
    if (typeof token !== "string" || token === "") throw new RkeToolsError(ErrorCode.Http, "Cannot log in to Azure: Azure AD returned no access token");
    return token;
  }

  async json(url: string, token: string): Promise<Record<string, unknown>> {
    return JSON.parse(await this.text(url, { headers: { Authorization: `Bearer ${token}` } }, "the Azure Resource Manager API")) as Record<string, unknown>;
  }

  private async text(url: string, init: RequestInit, what: string): Promise<string> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs ?? 20_000), ...(this.opts.signal ? [this.opts.signal] : [])]);
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal });
    } catch (e) {
      throw new RkeToolsError(ErrorCode.Http, `Cannot reach ${what}: ${messageOf(e)}`, { cause: e });
    }
    const text = await res.text();
    // Error bodies of AAD and ARM carry a code and a message, never the credentials we sent.
    if (!res.ok) throw new RkeToolsError(ErrorCode.Http, `${what} answered HTTP ${res.status} for ${new URL(url).pathname}: ${errorText(text)}`);
    return text;
  }
}

function errorText(body: string): string {
  try {
    const v = JSON.parse(body) as { error?: { code?: string; message?: string } | string; error_description?: string };
    if (typeof v.error === "object") return `${v.error.code ?? ""} ${v.error.message ?? ""}`.trim();
    return `${v.error ?? ""} ${(v.error_description ?? "").split("\n")[0]}`.trim();
  } catch {
    return body.trim().slice(0, 200);
  }
}

interface Nic {
  subnetId?: string;
  nsgId?: string;
}

class Arm {
  constructor(
    private readonly http: Http,
    private readonly base: string,
    private readonly token: string,
    private readonly group: string,
  ) {}

  /** A standalone VM: its first NIC, fetched by its id (it may live in another resource group). */
  async vmNic(vmName: string): Promise<Nic> {
    const vm = await this.get(`${this.group}/providers/Microsoft.Compute/virtualMachines/${enc(vmName)}`, COMPUTE_API);
    const nics = ((vm.properties as { networkProfile?: { networkInterfaces?: { id?: string }[] } })?.networkProfile?.networkInterfaces ?? []) as { id?: string }[];
    const id = nics[0]?.id;
    if (!id) throw new RkeToolsError(ErrorCode.Http, `Cannot find a network interface of VM ${vmName}`);
    return nicOf(await this.get(id, NETWORK_API));
  }

  /** A scale-set instance: find its instance id by name, then the scale set's first NIC on it. */
  async vmssNic(scaleSet: string, vmName: string): Promise<Nic> {
    const ss = `${this.group}/providers/Microsoft.Compute/virtualMachineScaleSets/${enc(scaleSet)}`;
    let instanceId: string | undefined;
    for await (const vm of this.list(`${ss}/virtualMachines`, COMPUTE_API)) {
      if (vm.name === vmName) instanceId = String(vm.instanceId ?? "");
    }
    if (!instanceId) throw new RkeToolsError(ErrorCode.Http, `Cannot find VM ${vmName} in scale set ${scaleSet}`);
    let nicName: string | undefined;
    for await (const nic of this.list(`${ss}/networkInterfaces`, VMSS_NIC_API)) {
      nicName ??= typeof nic.name === "string" ? nic.name : undefined;
    }
    if (!nicName) throw new RkeToolsError(ErrorCode.Http, `Cannot find a network interface of scale set ${scaleSet}`);
    return nicOf(await this.get(`${ss}/virtualMachines/${enc(instanceId)}/networkInterfaces/${enc(nicName)}`, VMSS_NIC_API));
  }

  private get(path: string, apiVersion: string): Promise<Record<string, unknown>> {
    return this.http.json(`${this.base}${path}?api-version=${apiVersion}`, this.token);
  }

  /** A collection, following nextLink pages. */
  private async *list(path: string, apiVersion: string): AsyncGenerator<Record<string, unknown>> {
    let url: string | undefined = `${this.base}${path}?api-version=${apiVersion}`;
    for (let page = 0; url && page < 100; page++) {
      const body = await this.http.json(url, this.token);
      yield* (Array.isArray(body.value) ? body.value : []) as Record<string, unknown>[];
      const next = typeof body.nextLink === "string" ? body.nextLink : undefined;
      // The bearer token goes to the ARM endpoint only, wherever a nextLink points.
      url = next && new URL(next).origin === new URL(this.base).origin ? next : undefined;
    }
  }
}

function nicOf(nic: Record<string, unknown>): Nic {
  const p = (nic.properties ?? {}) as { ipConfigurations?: { properties?: { subnet?: { id?: string } } }[]; networkSecurityGroup?: { id?: string } | null };
  return { subnetId: p.ipConfigurations?.[0]?.properties?.subnet?.id, nsgId: p.networkSecurityGroup?.id };
}
