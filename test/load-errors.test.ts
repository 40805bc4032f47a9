// A load failure of the native addon is one sentence that says what is wrong, never a bare dlopen error.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import test from 'ava';
import { addonPath, explainLoadFailure, native } from '../lib/native';

const ROOT = path.join(__dirname, '..');

// Loads torchnode in a child whose addon is `addon`; returns what the child printed of the load error.
function loadErrorWith(addon: string): string {
  const script = `try { require(${JSON.stringify(path.join(ROOT, 'lib', 'native.ts'))}); console.log('loaded'); } catch (e) { console.log(e.message); }`;
  const env = { ...process.env, TORCHNODE_ADDON: addon };
  return execFileSync(process.execPath, ['--import=tsx', '-e', script], { env, encoding: 'utf8' }).trim();
}

test('a missing libtorch library is named, with how to install it', (t) => {
  // The addon as built, with its dependency on libtorch_cpu renamed in the dynamic string table (same
  // length), so that the dynamic loader really cannot find that library.
  const original = fs.readFileSync(addonPath());
  const needle = Buffer.from('libtorch_cpu.so');
  const at = original.indexOf(needle);
  t.true(at >= 0, 'the addon links libtorch_cpu');
  const patched = Buffer.from(original);
  patched.write('libtorch_xyz.so', at, 'latin1');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'torchnode-load-'));
  const file = path.join(dir, 'torchnode.node');
  fs.writeFileSync(file, patched);
  const message = loadErrorWith(file);
  const release = native.libtorchVersion.split('.').slice(0, 2).join('.');
  t.true(
    message.startsWith(
      `torchnode: libtorch was not found (libtorch_xyz.so.${release} is missing, and this torchnode build was made for libtorch ${release})`,
    ),
    message,
  );
  t.regex(message, /apt-get install libtorch-dev libopenblas0-pthread/);
  t.notRegex(message, /\n/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('an addon file that does not exist is reported in one sentence', (t) => {
  const message = loadErrorWith('/nonexistent/torchnode.node');
  t.regex(message, /^torchnode: the native addon failed to load: Cannot find module/);
  t.notRegex(message, /\n/);
});

test('load failures are classified', (t) => {
  t.regex(
    explainLoadFailure(new Error('libc10.so.2.1: cannot open shared object file: No such file or directory')).message,
    /libtorch was not found \(libc10\.so\.2\.1 is missing, and this torchnode build was made for libtorch 2\.1\)/,
  );
  t.regex(
    explainLoadFailure(new Error('/x/torchnode.node: undefined symbol: _ZN3c106detail14torchCheckFail')).message,
    /built for a different libtorch than the one loaded \(undefined symbol _ZN3c106detail14torchCheckFail\)/,
  );
  t.regex(
    explainLoadFailure(new Error('No native build was found for platform=linux arch=x64')).message,
    /no native addon for .* build it with `npm run build:native`/,
  );
  const cause = new Error('x');
  t.is(explainLoadFailure(cause).cause, cause);
});
