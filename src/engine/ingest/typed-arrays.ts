/** `to` holding `from` at its start (a grown copy). */
export function grow<T extends Uint32Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

export function pow2AtLeast(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Puts value into the first empty slot (0) from h on, linear probing over a power-of-two table. */
export function insertSlot(slots: Int32Array, h: number, value: number): void {
  const mask = slots.length - 1;
  let i = h & mask;
  while (slots[i] !== 0) i = (i + 1) & mask;
  slots[i] = value;
}
