// Kismet's authentication (KISMET-API.md 1.2, fixtures auth/*.http), per request:
// 1. a KISMET token is read from the Cookie header when there is one at all, else from
//    ?KISMET=; a valid API key or login JWT decides the role and Basic is not looked at;
// 2. otherwise an Authorization header is checked (Basic only, anything else is ignored);
// 3. only without an Authorization header, ?user=&password= are checked.
// A login mints an HS256 JWT ("typ":"JWS", like the real one) signed with a per-start key,
// so restart() invalidates every login cookie while API keys keep working.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

export type Role = 'admin' | 'readonly'

export interface AuthResult {
  role: Role | null
  /** The Set-Cookie value Kismet answers with: the token echoed, or a fresh login JWT. */
  setCookie: string | null
}

export interface Credentials {
  apiKey: string | undefined
  user: string | undefined
  password: string | undefined
}

const JWT_HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWS' }))

function base64url(text: string | Buffer): string {
  return Buffer.from(text).toString('base64url')
}

function parseCookies(header: string): Map<string, string> {
  const cookies = new Map<string, string>()
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const name = part.slice(0, eq).trim()
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim())
  }
  return cookies
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

export class JwtIssuer {
  #key = randomBytes(32)

  /** A new signing key: every cookie issued before is refused from now on (a Kismet restart). */
  rotate(): void {
    this.#key = randomBytes(32)
  }

  issue(nowSec: number): string {
    const payload = base64url(JSON.stringify({ created: nowSec, expires: nowSec + 86_400, iss: 'kismet', name: 'web logon', role: 'admin' }))
    return `${JWT_HEADER}.${payload}.${this.#sign(`${JWT_HEADER}.${payload}`)}`
  }

  /** The role of a token signed with the current key (Kismet does not check `expires`). */
  verify(token: string): Role | null {
    const parts = token.split('.')
    if (parts.length !== 3) return null
    const [header, payload, signature] = parts as [string, string, string]
    if (!safeEqual(this.#sign(`${header}.${payload}`), signature)) return null
    try {
      const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
      const role = (claims as { role?: unknown }).role
      return role === 'admin' || role === 'readonly' ? role : null
    } catch {
      return null
    }
  }

  #sign(data: string): string {
    return createHmac('sha256', this.#key).update(data).digest('base64url')
  }
}

function checkLogin(credentials: Credentials, user: string | null, password: string | null): boolean {
  if (credentials.user === undefined || credentials.password === undefined || user === null || password === null) return false
  return safeEqual(user, credentials.user) && safeEqual(password, credentials.password)
}

function basicLogin(header: string): { user: string; password: string } | null {
  const match = /^Basic\s+(.+)$/i.exec(header.trim())
  if (!match) return null
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return null
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

export function authenticate(headers: IncomingHttpHeaders, query: URLSearchParams, credentials: Credentials, jwt: JwtIssuer, nowSec: number): AuthResult {
  const cookieHeader = headers.cookie
  const token = cookieHeader !== undefined ? parseCookies(cookieHeader).get('KISMET') : query.get('KISMET') ?? undefined
  if (token !== undefined && token !== '') {
    if (credentials.apiKey !== undefined && safeEqual(token, credentials.apiKey)) return { role: 'readonly', setCookie: `KISMET=${token}; Path=/` }
    const role = jwt.verify(token)
    if (role !== null) return { role, setCookie: `KISMET=${token}; Path=/` }
  }
  const authorization = headers.authorization
  let login: { user: string | null; password: string | null }
  if (authorization !== undefined) {
    const basic = basicLogin(authorization)
    login = { user: basic?.user ?? null, password: basic?.password ?? null }
  } else {
    login = { user: query.get('user'), password: query.get('password') }
  }
  if (checkLogin(credentials, login.user, login.password)) return { role: 'admin', setCookie: `KISMET=${jwt.issue(nowSec)}; Path=/` }
  return { role: null, setCookie: null }
}
