#!/usr/bin/env node
'use strict';
// clang-format over native/: `--check` fails on any difference (CI), `--fix` rewrites the files.
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const dir = path.join(__dirname, '..', 'native');
const files = fs
  .readdirSync(dir)
  .filter((f) => /\.(cc|h)$/.test(f))
  .map((f) => path.join(dir, f));
const mode = process.argv[2] === '--fix' ? ['-i'] : ['--dry-run', '-Werror'];
const result = spawnSync('clang-format', [...mode, ...files], { stdio: 'inherit' });
if (result.error) {
  console.error(`clang-format not found (${result.error.message}); install it: apt-get install clang-format`);
  process.exit(1);
}
process.exit(result.status ?? 1);
