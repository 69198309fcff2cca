/** A cluster state shaped like RKE's FullState, compact as Go's json.Marshal writes it. */
export const STATE_OBJECT = {
  desiredState: {
    rkeConfig: {
      nodes: [{ address: "10.0.0.11", role: ["etcd", "controlplane", "worker"], port: "22" }],
      services: { etcd: { snapshot: true, retention: "72h", creation: "12h" } },
    },
    certificatesBundle: {
      "kube-ca": {
        certificatePEM: "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUTESTTESTTEST\n-----END CERTIFICATE-----\n",
        keyPEM: "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAstatekeymaterial\n-----END RSA PRIVATE KEY-----\n",
        name: "kube-ca",
      },
    },
    encryptionConfig: "",
  },
  currentState: { rkeConfig: { nodes: [] }, certificatesBundle: {} },
};
export const STATE_JSON = JSON.stringify(STATE_OBJECT);
/** What the original writes: json.Indent with two spaces, no trailing newline. */
export const STATE_PRETTY = JSON.stringify(STATE_OBJECT, null, 2);
/** Words of the state that must never reach a log line or an error message. */
export const STATE_MARKERS = ["statekeymaterial", "certificatePEM", "desiredState"];
