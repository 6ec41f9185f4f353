/**
 * JSON from another process or host, parsed with a bound on its nesting: JSON.parse itself
 * copes with deep nesting, but everything that walks the value afterwards (a schema, a
 * canonical JSON, JSON.stringify of a piece for a message) recurses and overflows the stack
 * ("Maximum call stack size exceeded") at some thousands of levels. The depth is counted in
 * one pass over the text before parsing (brackets outside strings), so such a text is refused
 * without building anything.
 */
export const MAX_JSON_DEPTH = 64;

/** The parsed value, or why the text is not JSON within the bound (a short phrase). */
export type BoundedJson = { ok: true; value: unknown } | { ok: false; why: string };

export function parseBoundedJson(text: string, maxDepth = MAX_JSON_DEPTH): BoundedJson {
  if (nestedDeeperThan(text, maxDepth)) return { ok: false, why: `JSON nested deeper than ${maxDepth} levels` };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    if (e instanceof RangeError) return { ok: false, why: `JSON too deep to read (${e.message})` };
    return { ok: false, why: `not JSON (${JSON.stringify(text.slice(0, 40))}…)` };
  }
}

/** True when some `[` or `{` outside a string sits more than `max` levels deep (malformed text is left to JSON.parse). */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
