import test from 'ava';
import * as tn from '../lib/index';

test('tidy disposes the temporaries and keeps what it returns', (t) => {
  let temporary: tn.Tensor | undefined;
  const kept = tn.tidy(() => {
    temporary = tn.ones([3]).mul(2);
    return { sum: temporary.sum(), list: [temporary.add(1)] };
  });
  t.true(temporary!.isDisposed);
  t.is(kept.sum.item(), 6);
  t.deepEqual(kept.list[0]!.tolist(), [3, 3, 3]);
});

test('nested tidy hands returned tensors to the enclosing scope', (t) => {
  let inner: tn.Tensor | undefined;
  const outer = tn.tidy(() => {
    inner = tn.tidy(() => tn.zeros([2]).add(5));
    t.false(inner.isDisposed);
    return inner.sum();
  });
  t.true(inner!.isDisposed, 'the inner result was a temporary of the outer scope');
  t.is(outer.item(), 10);
});

test('tidy disposes even when the function throws, and rejects async functions', (t) => {
  let made: tn.Tensor | undefined;
  t.throws(
    () =>
      tn.tidy(() => {
        made = tn.ones([1]);
        throw new Error('boom');
      }),
    { message: 'boom' },
  );
  t.true(made!.isDisposed, 'a failed scope returns nothing, so everything it made is disposed');
  t.throws(() => tn.tidy(async () => 1), { message: /returned a Promise/ });
  t.throws(() => tn.tidy(1 as unknown as () => void), { instanceOf: TypeError });
});
