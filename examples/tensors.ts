// A tour of torchnode's tensor API. Type-checked by `npm test` (tsc --noEmit): the types are part of the API.
// Run it with: npx tsx examples/tensors.ts
import * as tn from 'torchnode';

tn.manualSeed(42);
console.log('torchnode', tn.version.torchnode, 'on libtorch', tn.version.libtorch);

const a = tn.tensor([
  [1, 2, 3],
  [4, 5, 6],
]);
const b = tn.randn([3, 2]);
const product: tn.Tensor = a.matmul(b);
console.log(product.shape, product.dtype, product.device);

const rowSums = a.sum({ dim: 1, keepdim: true });
console.log('row sums', rowSums.tolist(), 'max', a.max().item());

// Release native memory deterministically with `using` (or call dispose()).
{
  using scratch = tn.zeros([1000, 1000]);
  console.log('scratch elements:', scratch.size);
}

const x = tn.tensor([1, 2, 3], { dtype: 'float64' });
x.requiresGrad = true;
x.mul(x).sum().backward();
console.log('d/dx sum(x^2) =', x.grad?.tolist());

const labels = tn.tensor(new BigInt64Array([3n, 1n, 2n]));
const picked: tn.Tensor = a.t().index(tn.tensor([0, 2], { dtype: 'int64' }));
console.log(
  labels.dtype,
  picked.tolist(),
  tn.noGrad(() => a.mul(2).tolist()),
);
