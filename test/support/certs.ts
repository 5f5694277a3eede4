// Certificates for TLS tests (TAK outputs, rediss://), made by the test with the openssl
// command line (installed by .ci/run where missing): a TAK-like CA, a server certificate it signed (for localhost and
// 127.0.0.1, or only for a name), a client certificate it signed, a rogue CA with its own
// server certificate, and an encrypted copy of the client key. EC P-256 keys: fast to make.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestLike } from '../helper.js'

export interface Pem {
  /** File paths (what TAK_TLS_* take) and their PEM texts. */
  certPath: string
  keyPath: string
  cert: string
  key: string
}

export interface Certificates {
  dir: string
  ca: { certPath: string; cert: string }
  /** Signed by `ca`, for DNS:localhost and IP:127.0.0.1. */
  server: Pem
  /** Signed by `ca`, for DNS:takserver only (connecting to 127.0.0.1 needs TAK_TLS_SERVER_NAME). */
  namedServer: Pem
  /** Signed by `ca`: what TAK Server hands a user. */
  client: Pem
  /** The client key encrypted with `passphrase`. */
  encryptedClientKeyPath: string
  passphrase: string
  /** A server certificate from another CA (a server to refuse). */
  rogueServer: Pem
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
}

function key(dir: string, name: string): string {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`], dir)
  return path.join(dir, `${name}.key`)
}

function authority(dir: string, name: string): void {
  key(dir, name)
  openssl(['req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-days', '2', '-out', `${name}.pem`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir)
}

function leaf(dir: string, name: string, ca: string, altNames: string | undefined, usage: 'serverAuth' | 'clientAuth'): Pem {
  key(dir, name)
  const ext = path.join(dir, `${name}.ext`)
  writeFileSync(ext, `${altNames ? `subjectAltName=${altNames}\n` : ''}extendedKeyUsage=${usage}\nbasicConstraints=CA:FALSE\n`)
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`], dir)
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', `${name}.pem`], dir)
  const certPath = path.join(dir, `${name}.pem`)
  const keyPath = path.join(dir, `${name}.key`)
  return { certPath, keyPath, cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') }
}

/** Makes the certificates in a temporary folder, removed at teardown. */
export function makeCertificates(t: TestLike): Certificates {
  const dir = mkdtempSync(path.join(tmpdir(), 'kismet-ws-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  authority(dir, 'tak-ca')
  authority(dir, 'rogue-ca')
  const passphrase = 'atakatak'
  const client = leaf(dir, 'client', 'tak-ca', undefined, 'clientAuth')
  openssl(['pkcs8', '-topk8', '-in', 'client.key', '-out', 'client-encrypted.key', '-v2', 'aes-256-cbc', '-passout', `pass:${passphrase}`], dir)
  return {
    dir,
    ca: { certPath: path.join(dir, 'tak-ca.pem'), cert: readFileSync(path.join(dir, 'tak-ca.pem'), 'utf8') },
    server: leaf(dir, 'server', 'tak-ca', 'DNS:localhost,IP:127.0.0.1', 'serverAuth'),
    namedServer: leaf(dir, 'named-server', 'tak-ca', 'DNS:takserver', 'serverAuth'),
    client,
    encryptedClientKeyPath: path.join(dir, 'client-encrypted.key'),
    passphrase,
    rogueServer: leaf(dir, 'rogue-server', 'rogue-ca', 'DNS:localhost,IP:127.0.0.1', 'serverAuth'),
  }
}
