#!/bin/bash
# The original cert-deployer's logic (rancher/rke-tools `cert-deployer`, as docs/contract.md §a.3 describes it):
# the reference the tests compare our files, modes, owners and ACLs against. Test data only.
SSL_CRTS_DIR=${CRTS_DEPLOY_PATH:-/etc/kubernetes/ssl}
mkdir -p $SSL_CRTS_DIR
chmod 755 $SSL_CRTS_DIR

for i in $(env | grep -o KUBE_.*=); do
  name="$(echo "$i" | cut -f1 -d"=" | tr '[:upper:]' '[:lower:]' | tr '_' '-').pem"
  env=$(echo "$i" | cut -f1 -d"=")
  value=$(echo "${!env}")
  if [ ! -f $SSL_CRTS_DIR/$name ] || [ "$FORCE_DEPLOY" = "true" ]; then
    echo "$value" > $SSL_CRTS_DIR/$name
    chmod 600 $SSL_CRTS_DIR/$name
  fi
done

for i in $(env | grep -o KUBECFG_.*=); do
  name="$(echo "$i" | cut -f1 -d"=" | tr '[:upper:]' '[:lower:]' | tr '_' '-').yaml"
  env=$(echo "$i" | cut -f1 -d"=")
  value=$(echo "${!env}")
  if [ ! -f $SSL_CRTS_DIR/$name ]; then
    echo "$value" > $SSL_CRTS_DIR/$name
    chmod 600 $SSL_CRTS_DIR/$name
  fi
done

if [ -n "${ETCD_UID}" ] && [ -n "${ETCD_GID}" ]; then
  setfacl -R -m m::rX "${SSL_CRTS_DIR}"
  setfacl -R -x u:${ETCD_UID} "${SSL_CRTS_DIR}"
  setfacl -R -x g:${ETCD_GID} "${SSL_CRTS_DIR}"
  for name in $SSL_CRTS_DIR/*.pem; do
    if [[ $name == *kube-etcd* ]]; then
      chown "${ETCD_UID}":"${ETCD_GID}" $name
    fi
    if [[ $name == *kube-ca.pem ]]; then
      chmod 644 $name
    fi
  done
  chmod 755 $SSL_CRTS_DIR
fi
