// The local control plane's PKI, made once with openssl: a CA, the API server's serving cert
// (SANs for loopback and the in-cluster service name), an admin client cert in system:masters,
// and the service-account signing key pair.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onPath } from './binaries.js';

export interface Pki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

export function pkiPaths(dir: string): Pki {
  return {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'apiserver.crt'),
    serverKey: join(dir, 'apiserver.key'),
    adminCert: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
    serviceAccountKey: join(dir, 'sa.key'),
    serviceAccountPub: join(dir, 'sa.pub'),
  };
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function signedCert(pki: Pki, key: string, cert: string, subject: string, extensions: string): void {
  const csr = `${cert}.csr`;
  const ext = `${cert}.ext`;
  writeFileSync(ext, extensions);
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
  openssl([
    'x509', '-req', '-in', csr, '-CA', pki.caCert, '-CAkey', pki.caKey, '-CAcreateserial',
    '-out', cert, '-days', '3650', '-sha256', '-extfile', ext,
  ]);
}

export function ensurePki(dir: string): Pki {
  const pki = pkiPaths(dir);
  if (Object.values(pki).every((file) => existsSync(file))) return pki;
  if (!onPath('openssl')) throw new Error('openssl is needed to make the local cluster certificates: install openssl');
  mkdirSync(dir, { recursive: true });
  openssl([
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', pki.caKey, '-out', pki.caCert,
    '-days', '3650', '-subj', '/CN=deployer-local-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  signedCert(
    pki, pki.serverKey, pki.serverCert, '/CN=kube-apiserver',
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc',
    ].join('\n'),
  );
  signedCert(
    pki, pki.adminKey, pki.adminCert, '/O=system:masters/CN=deployer-admin',
    ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth'].join('\n'),
  );
  openssl(['genrsa', '-out', pki.serviceAccountKey, '2048']);
  openssl(['rsa', '-in', pki.serviceAccountKey, '-pubout', '-out', pki.serviceAccountPub]);
  return pki;
}
