import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger } from "../../src/log/logger.ts";
import { azureCloud } from "../../src/tools/entrypoint/azure-cloud.ts";
import { fixAzureCloudConfig } from "../../src/tools/entrypoint/azure.ts";
import { lastLine, runTool } from "../support/bin.ts";
import { makePki } from "../support/pki.ts";
import { declareSecret } from "../support/secrets.ts";
import { startAzureApi, type AzureApi, type AzureWorld } from "../support/azure-api.ts";

const SECRET = 's3cr3t-$(rm -rf /)-"quoted"';
declareSecret(SECRET);
const SUB = "11111111-2222-3333-4444-555555555555";
const SUBNET = `/subscriptions/${SUB}/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vnet-a/subnets/subnet-a`;
const NSG = `/subscriptions/${SUB}/resourceGroups/vm-rg/providers/Microsoft.Network/networkSecurityGroups/nsg-a`;

function world(over: Partial<AzureWorld["vm"]> = {}, nic: Partial<AzureWorld["nic"]> = {}): AzureWorld {
  return {
    tenant: "tenant-1",
    clientId: "client-1",
    clientSecret: SECRET,
    subscription: SUB,
    vm: { name: "node-1", resourceGroup: "vm-rg", location: "westeurope", ...over },
    nic: { name: "node-1-nic", resourceGroup: "nic-rg", subnetId: SUBNET, nsgId: NSG, ...nic },
  };
}

/** What RKE writes: every key present, the ones to discover empty. */
function rkeConfig(over: Record<string, unknown> = {}) {
  return {
    cloud: "AzurePublicCloud",
    tenantId: "tenant-1",
    subscriptionId: SUB,
    aadClientId: "client-1",
    aadClientSecret: SECRET,
    resourceGroup: "",
    location: "",
    vmType: "standard",
    subnetName: "",
    securityGroupName: "",
    vnetName: "",
    vnetResourceGroup: "",
    routeTableName: "",
    useInstanceMetadata: false,
    ...over,
  };
}

let dir: string;
let api: AzureApi | undefined;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "azure-"));
  file = join(dir, "cloud-config");
});
afterEach(async () => {
  await api?.stop();
  api = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const opts = () => ({ imds: api!.url, aad: api!.url, arm: api!.url });

/** The cloud config after a fix-up in world(): every value found, with this security group. */
const rewritten = (securityGroupName: string) => ({
  ...rkeConfig(),
  resourceGroup: "vm-rg",
  location: "westeurope",
  subnetName: "subnet-a",
  vnetName: "vnet-a",
  vnetResourceGroup: "net-rg",
  securityGroupName,
  useInstanceMetadata: true,
});

describe("Azure cloud-config fix-up", () => {
  test("standard VM: every value found, the file rewritten with useInstanceMetadata, other keys kept", async () => {
    api = startAzureApi(world());
    writeFileSync(file, JSON.stringify(rkeConfig(), null, 2), { mode: 0o644 });
    expect(await fixAzureCloudConfig(file, opts())).toEqual({ updated: true, missing: [] });
    const out = JSON.parse(readFileSync(file, "utf8"));
    expect(out).toEqual(rewritten("nsg-a"));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["cloud-config"]);
    const token = api.requests.find((r) => r.path === "/tenant-1/oauth2/v2.0/token")!;
    expect(new URLSearchParams(token.body).get("scope")).toBe("https://management.azure.com/.default");
    // The NIC is fetched by its id: it lives in another resource group than the VM.
    expect(api.requests.map((r) => r.path)).toContain(`/subscriptions/${SUB}/resourceGroups/nic-rg/providers/Microsoft.Network/networkInterfaces/node-1-nic`);
  });

  test("scale set: the instance is found on the second page, then its NIC", async () => {
    api = startAzureApi(world({ name: "ss_3", scaleSet: "ss", instanceId: "3" }));
    writeFileSync(file, JSON.stringify(rkeConfig({ vmType: "vmss", location: "northeurope" })));
    expect((await fixAzureCloudConfig(file, opts())).updated).toBe(true);
    const out = JSON.parse(readFileSync(file, "utf8"));
    expect(out).toMatchObject({
      location: "northeurope",
      resourceGroup: "vm-rg",
      subnetName: "subnet-a",
      vnetName: "vnet-a",
      vnetResourceGroup: "net-rg",
      securityGroupName: "nsg-a",
    });
    expect(api.requests.map((r) => r.path)).toContain(
      `/subscriptions/${SUB}/resourceGroups/vm-rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss/virtualMachines/3/networkInterfaces/node-1-nic`,
    );
  });

  test("values given in the config are kept and need no login", async () => {
    api = startAzureApi(world());
    const given = rkeConfig({ resourceGroup: "rg-x", location: "l-x", subnetName: "s", vnetName: "v", vnetResourceGroup: "vr", securityGroupName: "n" });
    writeFileSync(file, JSON.stringify(given));
    expect((await fixAzureCloudConfig(file, opts())).updated).toBe(true);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ ...given, useInstanceMetadata: true });
    expect(api.requests.some((r) => r.path.includes("oauth2"))).toBe(false);
  });

  test("a NIC without a security group (it sits on the subnet): every value written, the NSG as the word null, as the original (issue 19, item 7)", async () => {
    api = startAzureApi(world({}, { nsgId: undefined }));
    writeFileSync(file, JSON.stringify(rkeConfig()));
    expect(await fixAzureCloudConfig(file, opts())).toEqual({ updated: true, missing: [] });
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(rewritten("null"));
  });

  test("a NIC without a subnet: nothing written", async () => {
    api = startAzureApi(world({}, { subnetId: "" }));
    const before = JSON.stringify(rkeConfig());
    writeFileSync(file, before);
    expect(await fixAzureCloudConfig(file, opts())).toEqual({ updated: false, missing: ["vnetResourceGroup", "subnetName", "vnetName"] });
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  test("a wrong client secret: the error names Azure AD, never the secret; the file is untouched", async () => {
    api = startAzureApi(world());
    const before = JSON.stringify(rkeConfig({ aadClientSecret: "wrong-secret-value" }));
    writeFileSync(file, before);
    const lines: string[] = [];
    const log = Logger.create({ sink: (l) => lines.push(l) });
    const err = await fixAzureCloudConfig(file, { ...opts(), log }).catch((e: unknown) => e);
    expect((err as Error).message).toBe("Azure AD answered HTTP 401 for /tenant-1/oauth2/v2.0/token: invalid_client AADSTS7000215: Invalid client secret provided.");
    log.error((err as Error).message, { detail: "wrong-secret-value" });
    expect(lines.join("")).not.toContain("wrong-secret-value");
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  test("not JSON: one line naming the file", async () => {
    writeFileSync(file, "[Global]\nfoo=bar\n");
    const err = await fixAzureCloudConfig(file, { imds: "http://127.0.0.1:1" }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`Cannot read the Azure cloud config ${file}: it is not a JSON object`);
  });

  test.each([
    ["", "https://login.microsoftonline.com"],
    ["AzurePublicCloud", "https://login.microsoftonline.com"],
    ["AzureUSGovernmentCloud", "https://login.microsoftonline.us"],
    ["AzureUSGovernment", "https://login.microsoftonline.us"],
    ["AzureChinaCloud", "https://login.chinacloudapi.cn"],
  ])("cloud %j logs in at %s", (name, aad) => {
    expect(azureCloud(name).aad).toBe(aad);
  });
});

describe("cloud-provider.sh (the executable, invoked by hand)", () => {
  test("rewrites the file and says so; the secret never appears", async () => {
    api = startAzureApi(world());
    const k8s = join(dir, "k8s");
    mkdirSync(k8s);
    writeFileSync(join(k8s, "cloud-config"), JSON.stringify(rkeConfig()));
    const env = { PATH: process.env.PATH, RKE_TOOLS_KUBERNETES_DIR: k8s, RKE_TOOLS_AZURE_IMDS_URL: api.url, RKE_TOOLS_AZURE_AAD_URL: api.url, RKE_TOOLS_AZURE_ARM_URL: api.url };
    const r = await runTool("cloud-provider.sh", [], { env });
    expect(r.code).toBe(0);
    expect(lastLine(r.stderr)).toMatch(/level=info msg="Azure cloud config updated"/);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(JSON.parse(readFileSync(join(k8s, "cloud-config"), "utf8")).vnetName).toBe("vnet-a");
  });

  test("over HTTPS, trusting the test CA, as AAD and ARM are served in Azure", async () => {
    const pki = makePki();
    api = startAzureApi(world(), pki.server);
    const k8s = join(dir, "k8s");
    mkdirSync(k8s);
    writeFileSync(join(k8s, "cloud-config"), JSON.stringify(rkeConfig()));
    const plain = startAzureApi(world()); // the instance metadata service is plain HTTP on the link-local address
    try {
      const env = {
        PATH: process.env.PATH,
        NODE_EXTRA_CA_CERTS: pki.ca,
        RKE_TOOLS_KUBERNETES_DIR: k8s,
        RKE_TOOLS_AZURE_IMDS_URL: plain.url,
        RKE_TOOLS_AZURE_AAD_URL: api.url,
        RKE_TOOLS_AZURE_ARM_URL: api.url,
      };
      const r = await runTool("cloud-provider.sh", [], { env });
      expect(lastLine(r.stderr)).toMatch(/msg="Azure cloud config updated"/);
      expect(r.code).toBe(0);
      expect(api.url).toStartWith("https://");
      expect(api.requests.map((q) => q.path)).toContain("/tenant-1/oauth2/v2.0/token");
      writeFileSync(join(k8s, "cloud-config"), JSON.stringify(rkeConfig())); // needs a login again
      const untrusted = await runTool("cloud-provider.sh", [], { env: { ...env, NODE_EXTRA_CA_CERTS: pki.foreignCa } });
      expect(untrusted.code).toBe(1);
      expect(lastLine(untrusted.stderr)).toContain("Cannot reach Azure AD");
    } finally {
      await plain.stop();
    }
  });

  test("a value not found: exit 1 with the original's message as the last line", async () => {
    api = startAzureApi(world({}, { subnetId: "" }));
    const k8s = join(dir, "k8s");
    mkdirSync(k8s);
    writeFileSync(join(k8s, "cloud-config"), JSON.stringify(rkeConfig()));
    const env = { PATH: process.env.PATH, RKE_TOOLS_KUBERNETES_DIR: k8s, RKE_TOOLS_AZURE_IMDS_URL: api.url, RKE_TOOLS_AZURE_AAD_URL: api.url, RKE_TOOLS_AZURE_ARM_URL: api.url };
    const r = await runTool("cloud-provider.sh", [], { env });
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toContain('msg="Some variables were not populated correctly, using the passed config!" empty="vnetResourceGroup,subnetName,vnetName"');
  });
});
