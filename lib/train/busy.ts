// A model that a worker thread is training must not be touched from JS meanwhile.
import type { Module } from '../nn/module';

const busy = new WeakMap<Module, string>();

/** @internal Marks `model` as used by `job` until the promise settles. */
export async function whileBusy<T>(model: Module, job: string, run: () => Promise<T>): Promise<T> {
  const current = busy.get(model);
  if (current) throw new Error(`${job}: the model is busy with ${current}; wait for it to finish`);
  busy.set(model, job);
  try {
    return await run();
  } finally {
    busy.delete(model);
  }
}
