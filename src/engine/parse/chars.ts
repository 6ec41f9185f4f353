/**
 * Byte constants and a 256-entry character-class table: one load and one AND per byte is
 * the cheapest class test V8 compiles (cheaper than chains of range compares).
 */
export const TAB = 0x09;
export const LF = 0x0a;
export const CR = 0x0d;
export const SP = 0x20;
export const QUOTE = 0x22;
export const HASH = 0x23;
export const PLUS = 0x2b;
export const COMMA = 0x2c;
export const MINUS = 0x2d;
export const DOT = 0x2e;
export const EQUALS = 0x3d;
export const BACKSLASH = 0x5c;
export const LBRACE = 0x7b;
export const RBRACE = 0x7d;

export const enum Cls {
  /** [a-zA-Z_:], first byte of a metric name. */
  NameStart = 1,
  /** [a-zA-Z0-9_:] */
  Name = 2,
  /** [a-zA-Z_], first byte of a label name. */
  LabelStart = 4,
  /** [a-zA-Z0-9_] */
  Label = 8,
  /** Bytes that end the fast scan of a label value: `"`, `\`, LF and every non-ASCII byte. */
  ValueStop = 16,
  /** Space or tab. */
  Blank = 32,
}

export const CLASS: Uint8Array = ((): Uint8Array => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) {
    const lower = c >= 0x61 && c <= 0x7a;
    const upper = c >= 0x41 && c <= 0x5a;
    const digit = c >= 0x30 && c <= 0x39;
    const letter = lower || upper || c === 0x5f;
    if (letter || c === 0x3a) t[c] |= Cls.NameStart | Cls.Name;
    if (digit) t[c] |= Cls.Name | Cls.Label;
    if (letter) t[c] |= Cls.LabelStart | Cls.Label;
    if (c === QUOTE || c === BACKSLASH || c === LF || c >= 0x80) t[c] |= Cls.ValueStop;
    if (c === SP || c === TAB) t[c] |= Cls.Blank;
  }
  return t;
})();
