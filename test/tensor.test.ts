import test from 'ava';
import * as tn from '../lib/index';

test('nested arrays round-trip with their shape', (t) => {
  const x = tn.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  t.deepEqual(x.shape, [2, 3]);
  t.is(x.dtype, 'float32');
  t.deepEqual(x.tolist(), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
});
