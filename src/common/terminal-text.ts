/**
 * Text that came from outside (a profile's name, a target's label, what a fleet shard says) made
 * safe to print on a terminal: every control character (C0, DEL, C1: ESC, CR, LF among them) is
 * replaced by a visible escape, `\x1b`, `\n`, `\r`, `\t`, so that a name cannot clear the screen,
 * move the cursor, or forge a line of promsoak's output. Everything else is left as it is.
 *
 * `keepNewlines`: for a message that is several lines on purpose (an error with a process's
 * stderr after it); the other control characters are still escaped.
 */
export function visible(text: string, o: { keepNewlines?: boolean } = {}): string {
  return String(text).replace(o.keepNewlines ? /[\x00-\x09\x0b-\x1f\x7f-\x9f]/g : /[\x00-\x1f\x7f-\x9f]/g, (c) => NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
