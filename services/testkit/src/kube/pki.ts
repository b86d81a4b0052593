// Throwaway PKI for a test control plane, made with the openssl CLI because Node can make keys
// but not X.509 certificates. P-256 keys keep it well under a second.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Pki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  /** PEM contents, for clients. */
  caPem: string;
  adminCertPem: string;
  adminKeyPem: string;
}

export async function createPki(dir: string): Promise<Pki> {
  const f = (name: string) => join(dir, name);
  const ca = { cert: f('ca.crt'), key: f('ca.key') };
  await Promise.all([genKey(ca.key), genKey(f('server.key')), genKey(f('admin.key')), genKey(f('sa.key'))]);
  await openssl('pkey', '-in', f('sa.key'), '-pubout', '-out', f('sa.pub'));
  await openssl('req', '-x509', '-new', '-key', ca.key, '-subj', '/CN=vilokanam-test-ca', '-days', '3650',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', ca.cert);
  await Promise.all([
    sign(dir, ca, 'server', '/CN=kube-apiserver', [
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc',
      'extendedKeyUsage=serverAuth',
    ]),
    // O=system:masters is the group the apiserver's RBAC authorizer lets do anything.
    sign(dir, ca, 'admin', '/O=system:masters/CN=vilokanam-admin', ['extendedKeyUsage=clientAuth']),
  ]);
  const [caPem, adminCertPem, adminKeyPem] = await Promise.all(
    [ca.cert, f('admin.crt'), f('admin.key')].map((p) => readFile(p, 'utf8')),
  );
  return {
    caCert: ca.cert,
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    serviceAccountKey: f('sa.key'),
    serviceAccountPub: f('sa.pub'),
    caPem: caPem!,
    adminCertPem: adminCertPem!,
    adminKeyPem: adminKeyPem!,
  };
}

function genKey(out: string): Promise<void> {
  return openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out);
}

async function sign(dir: string, ca: { cert: string; key: string }, name: string, subject: string, ext: string[]) {
  const f = (suffix: string) => join(dir, `${name}.${suffix}`);
  await writeFile(f('ext'), ['keyUsage=critical,digitalSignature,keyEncipherment', ...ext].join('\n') + '\n');
  await openssl('req', '-new', '-key', f('key'), '-subj', subject, '-out', f('csr'));
  // A random serial rather than -CAcreateserial: parallel signings would race on the .srl file.
  await openssl('x509', '-req', '-in', f('csr'), '-CA', ca.cert, '-CAkey', ca.key, '-set_serial',
    `0x${randomBytes(8).toString('hex')}`, '-days', '3650', '-extfile', f('ext'), '-out', f('crt'));
}

async function openssl(...args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}
