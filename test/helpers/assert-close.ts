// Numeric assertions shared by the tests.
import type { ExecutionContext } from 'ava';
import type { Tensor } from '../../lib/index';

/** A tensor's elements as plain numbers (int64 converted). */
export function values(x: Tensor): number[] {
  return Array.from(x.toArray() as ArrayLike<number | bigint>, Number);
}

/** Element-wise |actual - expected| <= tol, failing on the first element that is not. */
export function close(
  t: ExecutionContext,
  actual: ArrayLike<number>,
  expected: readonly number[],
  tol: number,
  what = '',
): void {
  t.is(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!(Math.abs(a - e) <= tol)) {
      t.fail(`${what} element ${i}: got ${a}, expected ${e} (tolerance ${tol})`);
      return;
    }
  }
  t.pass();
}
