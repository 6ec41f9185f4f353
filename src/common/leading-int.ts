/** The unsigned integer at the start of buf[from, n) (no string made). */
export function leadingInt(buf: Buffer, n: number, from = 0): number {
  let v = 0;
  for (let i = from; i < n; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
  }
  return v;
}
