// REST calls to the service, with the API token when the service wants one. The token is kept
// for this tab only (sessionStorage): it goes when the tab closes, and no other tab or later
// visit sees it.
import type { StatusResponse } from '../../src/api-schemas.js'
import type { DeviceResponse } from '../../src/history/schemas.js'

const TOKEN_KEY = 'kismet-ws.token'
export const API = '/api/kismet/ws'

export function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined
  } catch {
    return undefined // storage disabled: the prompt comes at every load
  }
}

export function storeToken(token: string | undefined): void {
  try {
    if (token === undefined) sessionStorage.removeItem(TOKEN_KEY)
    else sessionStorage.setItem(TOKEN_KEY, token)
  } catch {
    // storage disabled: the token lives in memory for this page only
  }
}

export type ApiResult<T> = { ok: true; body: T } | { ok: false; status: number; message: string }

export class Api {
  token: string | undefined

  constructor(token: string | undefined) {
    this.token = token
  }

  async get<T>(path: string): Promise<ApiResult<T>> {
    let response: Response
    try {
      response = await fetch(path, { headers: this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }, cache: 'no-store' })
    } catch {
      return { ok: false, status: 0, message: 'the service cannot be reached' }
    }
    let body: unknown
    try {
      body = await response.json()
    } catch {
      body = undefined
    }
    if (response.ok) return { ok: true, body: body as T }
    const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message
    return { ok: false, status: response.status, message: typeof message === 'string' ? message : `HTTP ${response.status}` }
  }

  status(): Promise<ApiResult<StatusResponse>> {
    return this.get(`${API}/status`)
  }

  device(sensor: string, key: string): Promise<ApiResult<DeviceResponse>> {
    return this.get(`${API}/devices/${encodeURIComponent(key)}?sensor=${encodeURIComponent(sensor)}`)
  }
}
