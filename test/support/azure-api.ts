/**
 * Azure on loopback, one server for three real protocols:
 * - instance metadata: GET /metadata/instance/compute/<field>?api-version=…&format=text with
 *   `Metadata: true` (400 without, as Azure);
 * - Azure AD: POST /<tenant>/oauth2/v2.0/token, form-encoded client-credentials grant;
 * - Resource Manager: GET under /subscriptions/… with `Authorization: Bearer`, `api-version`
 *   required, collections paged with nextLink, errors as {"error":{"code","message"}}.
 */
import { randomBytes } from "node:crypto";

export interface AzureWorld {
  tenant: string;
  clientId: string;
  clientSecret: string;
  subscription: string;
  vm: { name: string; resourceGroup: string; location: string; scaleSet?: string; instanceId?: string };
  nic: { name: string; resourceGroup: string; subnetId: string; nsgId?: string };
}

export interface AzureApi {
  url: string;
  requests: { method: string; path: string; query: string; body?: string }[];
  stop(): Promise<void>;
}

const armError = (status: number, code: string, message: string) => Response.json({ error: { code, message } }, { status });

/** With `tls`, AAD and ARM are served over HTTPS as in Azure (URL https://localhost:<port>). */
export function startAzureApi(world: AzureWorld, tls?: { cert: string; key: string }): AzureApi {
  const requests: AzureApi["requests"] = [];
  const issued = new Set<string>();
  let base = "";
  const rg = `/subscriptions/${world.subscription}/resourceGroups/${world.vm.resourceGroup}`;
  const nicId = `/subscriptions/${world.subscription}/resourceGroups/${world.nic.resourceGroup}/providers/Microsoft.Network/networkInterfaces/${world.nic.name}`;
  const nicBody = (id: string) => ({
    id,
    name: world.nic.name,
    properties: {
      ipConfigurations: [{ name: "ipconfig1", properties: { privateIPAddress: "10.0.0.4", subnet: { id: world.nic.subnetId } } }],
      networkSecurityGroup: world.nic.nsgId ? { id: world.nic.nsgId } : null,
    },
  });

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    ...(tls ? { tls: { cert: Bun.file(tls.cert), key: Bun.file(tls.key) } } : {}),
    async fetch(req) {
      const url = new URL(req.url);
      const body = req.method === "POST" ? await req.text() : undefined;
      requests.push({ method: req.method, path: url.pathname, query: url.search, body });
      const imds = /^\/metadata\/instance\/compute\/(\w+)$/.exec(url.pathname);
      if (imds) {
        if (req.headers.get("metadata") !== "true") return Response.json({ error: "Bad request. Required metadata header not specified" }, { status: 400 });
        if (url.searchParams.get("api-version") !== "2019-08-15" || url.searchParams.get("format") !== "text") return Response.json({ error: "Bad request" }, { status: 400 });
        const values: Record<string, string | undefined> = {
          name: world.vm.name,
          resourceGroupName: world.vm.resourceGroup,
          location: world.vm.location,
          vmScaleSetName: world.vm.scaleSet ?? "",
        };
        const v = values[imds[1]!];
        return v === undefined ? new Response("", { status: 404 }) : new Response(v, { headers: { "Content-Type": "text/plain; charset=utf-8" } });
      }
      if (url.pathname === `/${world.tenant}/oauth2/v2.0/token` && req.method === "POST") {
        const form = new URLSearchParams(body);
        if (form.get("grant_type") !== "client_credentials" || !form.get("scope")?.endsWith("/.default"))
          return Response.json({ error: "invalid_request", error_description: "AADSTS900144: bad request" }, { status: 400 });
        if (form.get("client_id") !== world.clientId || form.get("client_secret") !== world.clientSecret) {
          return Response.json({ error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided." }, { status: 401 });
        }
        const token = randomBytes(24).toString("hex");
        issued.add(token);
        return Response.json({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: token });
      }
      if (!url.pathname.startsWith("/subscriptions/")) return new Response("", { status: 404 });
      const auth = req.headers.get("authorization") ?? "";
      if (!auth.startsWith("Bearer ") || !issued.has(auth.slice(7))) return armError(401, "InvalidAuthenticationToken", "The access token is invalid.");
      if (!url.searchParams.get("api-version")) return armError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
      const p = url.pathname;
      if (p === `${rg}/providers/Microsoft.Compute/virtualMachines/${world.vm.name}` && !world.vm.scaleSet) {
        return Response.json({
          name: world.vm.name,
          location: world.vm.location,
          properties: { networkProfile: { networkInterfaces: [{ id: nicId, properties: { primary: true } }] } },
        });
      }
      if (p === nicId && !world.vm.scaleSet) return Response.json(nicBody(nicId));
      const ss = `${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/${world.vm.scaleSet}`;
      if (world.vm.scaleSet && p === `${ss}/virtualMachines`) {
        // Two pages: the instance asked for is on the second.
        if (url.searchParams.get("page") !== "2") {
          return Response.json({
            value: [{ name: `${world.vm.scaleSet}_99`, instanceId: "99" }],
            nextLink: `${base}${p}?api-version=${url.searchParams.get("api-version")}&page=2`,
          });
        }
        return Response.json({ value: [{ name: world.vm.name, instanceId: world.vm.instanceId }] });
      }
      if (world.vm.scaleSet && p === `${ss}/networkInterfaces`)
        return Response.json({ value: [{ name: world.nic.name, id: `${ss}/virtualMachines/0/networkInterfaces/${world.nic.name}` }] });
      if (world.vm.scaleSet && p === `${ss}/virtualMachines/${world.vm.instanceId}/networkInterfaces/${world.nic.name}`) return Response.json(nicBody(p));
      return armError(404, "ResourceNotFound", `The Resource '${p}' was not found.`);
    },
  });
  base = tls ? `https://localhost:${server.port}` : `http://127.0.0.1:${server.port}`;
  return { url: base, requests, stop: () => server.stop(true) };
}
