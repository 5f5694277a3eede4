// Bodies Kismet sends for errors, byte for byte as captured (fixtures auth/*.http).

/** 401 for a missing/wrong credential or a role that is not enough; 165 bytes, text/html. */
export const UNAUTHORIZED_PAGE =
  '<html><head><title>401 Permission denied</title></head><body><h1>401 Permission denied</h1><br><p>This resource requires a login or session token.</p></body></html>\n'

/** 405 for a known path with a method it does not take; 158 bytes, text/html. */
export const WRONG_METHOD_PAGE =
  '<html><head><title>405 Incorrect method</title></head><body><h1>405 Incorrect method</h1><br><p>This method is not valid for this resource.</p></body></html>\n'

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '/': '&#x2F;' }

/** 404 for an unknown path; the path is HTML-escaped ('/' becomes &#x2F;) as in auth/unknown_endpoint.http. */
export function notFoundPage(path: string): string {
  const escaped = path.replace(/[&<>"'/]/g, (char) => HTML_ESCAPES[char] ?? char)
  return `<html><head><title>404 not found</title></head><body><h1>404 Not Found</h1><br><p>Could not find <code>${escaped}</code></p></body></html>\n`
}

/** A page for statuses Kismet itself never sends but a proxy in front of it might (fault injection). */
export function statusPage(status: number): string {
  return `<html><head><title>${status} Error</title></head><body><h1>${status} Error</h1></body></html>\n`
}

export const STANDARD_HEADERS: ReadonlyArray<[string, string]> = [
  ['Cache-Control', 'no-cache'],
  ['Pragma', 'no-cache'],
  ['Expires', 'Sat, 01 Jan 2000 00:00:00 GMT'],
]
