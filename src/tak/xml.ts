// The little XML the CoT builder needs, written so that text from the air (SSIDs, names,
// manufacturers) can never break an event: every attribute value and text node goes through
// exactly one escape, here, at the moment it is placed; characters XML 1.0 forbids are
// removed first; text is capped in code points (never splitting a character, never cutting
// an entity). Element and attribute names are the builder's own constants.

/** XML built by this module: already escaped. A plain string cannot be passed where this is expected. */
export type Xml = string & { readonly __escapedXml: unique symbol }

/**
 * Removed from any text: what XML 1.0 forbids (C0 controls but tab, line feed and carriage
 * return; unpaired surrogates; U+FFFE and U+FFFF) and the C1 controls it discourages. With
 * the `u` flag a surrogate pair is one code point, so only an unpaired half matches.
 */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uD800-\uDFFF\uFFFE\uFFFF]/gu
/** Tab, line feed and carriage return are legal but become spaces: one line per label. */
const LINE_BREAKS = /[\t\n\r]/g

/** `value` made fit to place in XML: forbidden characters removed, breaks made spaces, at most `maxChars` code points (an ellipsis marks a cut). */
export function cleanText(value: string, maxChars: number): string {
  const text = value.replace(NOT_XML, '').replace(LINE_BREAKS, ' ')
  // Cheap test first: a string of at most maxChars UTF-16 units has at most maxChars code points.
  if (text.length <= maxChars) return text
  const chars = Array.from(text)
  if (chars.length <= maxChars) return text
  return `${chars.slice(0, Math.max(0, maxChars - 1)).join('')}…`
}

function escape(value: string, quotes: boolean): string {
  let out = ''
  let from = 0
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    let entity: string | undefined
    if (c === 38) entity = '&amp;'
    else if (c === 60) entity = '&lt;'
    else if (c === 62) entity = '&gt;'
    else if (quotes && c === 34) entity = '&quot;'
    else if (quotes && c === 39) entity = '&apos;'
    if (entity === undefined) continue
    out += value.slice(from, i) + entity
    from = i + 1
  }
  return from === 0 ? value : out + value.slice(from)
}

/** A text node. */
export function text(value: string): Xml {
  return escape(value.replace(NOT_XML, ''), false) as Xml
}

export type Attributes = Readonly<Record<string, string | number>>

function attributesOf(attributes: Attributes): string {
  let out = ''
  for (const [name, value] of Object.entries(attributes)) {
    const raw = typeof value === 'number' ? String(value) : value.replace(NOT_XML, '')
    out += ` ${name}="${escape(raw, true)}"`
  }
  return out
}

/** An element with escaped attribute values and children built by this module (none: self-closing). */
export function element(name: string, attributes: Attributes = {}, children: readonly Xml[] = []): Xml {
  const open = `<${name}${attributesOf(attributes)}`
  return (children.length === 0 ? `${open}/>` : `${open}>${children.join('')}</${name}>`) as Xml
}
