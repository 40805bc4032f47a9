#!/usr/bin/env node
'use strict';
// Compiles lib/ to CommonJS (dist/cjs) and writes the ESM entry (dist/esm), which re-exports the
// CommonJS build: one copy of the code, so `import` and `require` share the same native binding.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
const esm = path.join(root, 'dist', 'esm');
fs.mkdirSync(esm, { recursive: true });
fs.writeFileSync(
  path.join(esm, 'index.mjs'),
  "import torchnode from '../cjs/index.js';\nexport * from '../cjs/index.js';\nexport default torchnode;\n",
);
fs.writeFileSync(
  path.join(esm, 'index.d.mts'),
  "import * as torchnode from '../cjs/index.js';\nexport * from '../cjs/index.js';\nexport default torchnode;\n",
);
