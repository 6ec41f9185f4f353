/**
 * The parsers' one number cell and the powers of ten their fast paths multiply by.
 *
 * Results go out through NUM[0], never as a returned double: a double returned from a call
 * V8 does not inline is boxed into a fresh HeapNumber, i.e. one allocation per sample.
 */
export const NUM = new Float64Array(1);

/** 10^0 … 10^22: every one is an exact double, so m × 10^e and m ÷ 10^e round once. */
export const POW10 = new Float64Array([
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
]);
export const TWO53 = 9007199254740992;
