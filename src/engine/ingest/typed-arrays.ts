/** `to` holding `from` at its start (a grown copy). */
export function grow<T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

export function pow2AtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Puts value into the first empty slot (0) from h on, linear probing over a power-of-two
 * table: table[at, end) (the table may be the tail of an array that holds something else first).
 */
export function insertSlot(table: Int32Array, h: number, value: number, at = 0): void {
  const mask = table.length - at - 1;
  let i = h & mask;
  while (table[at + i] !== 0) i = (i + 1) & mask;
  table[at + i] = value;
}
