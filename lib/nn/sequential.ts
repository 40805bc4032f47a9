// Sequential: layers applied in order, held natively so that forward is one native call.
import { Module, type ModuleConfig } from './module';

export class Sequential extends Module implements Iterable<Module> {
  readonly layers: readonly Module[];

  constructor(layers: readonly Module[]) {
    if (!Array.isArray(layers)) throw new TypeError('Sequential: expected an array of modules');
    layers.forEach((layer, i) => {
      if (!(layer instanceof Module)) throw new TypeError(`Sequential: layer ${i} is not a Module`);
    });
    super('sequential', { children: layers.map((layer) => layer.native) });
    this.layers = [...layers];
  }

  get length(): number {
    return this.layers.length;
  }

  at(index: number): Module | undefined {
    return this.layers.at(index);
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.layers[Symbol.iterator]();
  }

  get config(): ModuleConfig {
    return { type: 'Sequential', layers: this.layers.map((layer) => layer.config) };
  }
}
