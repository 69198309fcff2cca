/** The Azure clouds a cloud-config can name, with their login (AAD) and management (ARM) endpoints. */

export interface AzureCloud {
  aad: string;
  arm: string;
  /** The OAuth scope of the ARM API (its canonical resource id, not a test URL). */
  scope: string;
}

const PUBLIC: AzureCloud = { aad: "https://login.microsoftonline.com", arm: "https://management.azure.com", scope: "https://management.azure.com/.default" };
const CHINA: AzureCloud = { aad: "https://login.chinacloudapi.cn", arm: "https://management.chinacloudapi.cn", scope: "https://management.chinacloudapi.cn/.default" };
const US_GOV: AzureCloud = { aad: "https://login.microsoftonline.us", arm: "https://management.usgovcloudapi.net", scope: "https://management.usgovcloudapi.net/.default" };
const GERMAN: AzureCloud = { aad: "https://login.microsoftonline.de", arm: "https://management.microsoftazure.de", scope: "https://management.microsoftazure.de/.default" };

/**
 * cloud-provider-azure names (`AzurePublicCloud`, `AzureUSGovernmentCloud`, …) and the az CLI's
 * (`AzureCloud`, `AzureUSGovernment`, …) both occur; empty means the public cloud, as in the original.
 */
export function azureCloud(name: string | undefined): AzureCloud {
  switch ((name ?? "").toLowerCase()) {
    case "azurechinacloud":
      return CHINA;
    case "azureusgovernmentcloud":
    case "azureusgovernment":
      return US_GOV;
    case "azuregermancloud":
      return GERMAN;
    default:
      return PUBLIC;
  }
}
