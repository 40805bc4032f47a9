// The npm tarball installs into an empty folder and loads from its prebuild, with no compiler on PATH,
// through both `require('torchnode')` and `import('torchnode')`.
//
// Where the tarball's contents come from (decided here, see also the report in the test log):
// - When the checkout already has dist/ (npm run build:ts) and a prebuild in prebuilds/<platform>-<arch>/
//   (npm run prebuild), as .ci/run makes them before `npm test`, the checkout is packed as it is.
// - Otherwise the test makes them itself, in a temporary copy of the checkout (its tracked and
//   untracked-but-not-ignored files, node_modules linked), so that it never rewrites the checkout's own
//   dist/, prebuilds/ or build/ (prebuildify runs node-gyp, which would replace build/Release). That
//   path compiles the addon with node-gyp (JOBS=max, through ccache when it is installed): minutes.
// The install runs with PATH = a folder holding only node, npm and sh (npm runs install scripts with
// sh), so node-gyp-build's compile fallback cannot find a compiler: the install succeeds only if the
// prebuild loads. The loaded .node is then checked to be the one under prebuilds/.
// Nothing of this runs with TORCHNODE_ADDON set: it is removed from the environment of every child.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';

const execFileAsync = promisify(execFile);

const ROOT = path.join(__dirname, '..');
const PLATFORM = `${process.platform}-${process.arch}`;
const COMPILERS = ['cc', 'gcc', 'c++', 'g++', 'clang', 'clang++', 'make', 'cmake', 'ninja'];

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.TORCHNODE_ADDON;
  // ava/tsx leave loader flags here; the installed package must load with plain node
  delete env.NODE_OPTIONS;
  for (const key of Object.keys(env)) if (key.startsWith('npm_')) delete env[key];
  return env;
}

// Asynchronous on purpose: a blocked event loop would keep t.timeout() from reaching ava, whose
// inactivity timeout would then stop this (long) test.
async function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv()): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
    );
  }
}

function hasPrebuild(dir: string): boolean {
  const folder = path.join(dir, 'prebuilds', PLATFORM);
  return fs.existsSync(folder) && fs.readdirSync(folder).some((f) => f.endsWith('.node'));
}

function hasDist(dir: string): boolean {
  return ['dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/esm/index.mjs'].every((f) =>
    fs.existsSync(path.join(dir, f)),
  );
}

/** A copy of the checkout's source (no build outputs) in which dist/ and prebuilds/ are built. */
async function buildInCopy(tmp: string, log: (message: string) => void): Promise<string> {
  const copy = path.join(tmp, 'src');
  const files = (await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], ROOT))
    .split('\0')
    .filter((f) => f && fs.existsSync(path.join(ROOT, f)));
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(copy, file));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  log('building dist/ and prebuilds/ in a copy of the checkout (npm run build:ts, npm run prebuild)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await run(npm, ['run', 'build:ts'], copy);
  // node-gyp compiles one file at a time unless told otherwise; ccache (when present) makes reruns quick
  const ccache = ['/usr/bin/ccache', '/usr/local/bin/ccache'].find((c) => fs.existsSync(c));
  const buildEnv = cleanEnv({
    JOBS: 'max',
    ...(ccache ? { CC: `${ccache} gcc`, CXX: `${ccache} g++`, CCACHE_BASEDIR: copy } : {}),
  });
  const started = Date.now();
  await run(npm, ['run', 'prebuild'], copy, buildEnv);
  log(`prebuild took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return copy;
}

function findNpmCli(): string {
  // npm lives next to node: <prefix>/lib/node_modules/npm
  const prefix = path.dirname(path.dirname(fs.realpathSync(process.execPath)));
  const candidates = [
    path.join(prefix, 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    path.join(prefix, 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    '/usr/share/nodejs/npm/bin/npm-cli.js',
  ];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`npm-cli.js not found next to node (looked in ${candidates.join(', ')})`);
  return found;
}

test('npm pack → install into an empty folder without a compiler → require and import load the prebuild', async (t) => {
  t.timeout(30 * 60_000); // the slow path compiles the addon with node-gyp
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torchnode-pack-'));
  try {
    // 1. what to pack
    let packDir = ROOT;
    if (hasDist(ROOT) && hasPrebuild(ROOT)) {
      t.log('packing the checkout as it is (dist/ and prebuilds/ present)');
    } else {
      t.log(
        `dist/ ${hasDist(ROOT) ? 'present' : 'missing'}, prebuilds/${PLATFORM} ${hasPrebuild(ROOT) ? 'present' : 'missing'}`,
      );
      packDir = await buildInCopy(tmp, (m) => t.log(m));
    }
    t.true(hasDist(packDir), 'dist/ was built');
    t.true(hasPrebuild(packDir), `a prebuild for ${PLATFORM} was built`);

    // 2. npm pack
    const npmCli = findNpmCli();
    const packOut = await run(process.execPath, [npmCli, 'pack', '--json', '--pack-destination', tmp], packDir);
    const packed = JSON.parse(packOut) as { filename: string; files: { path: string }[] }[];
    const info = packed[0];
    if (!info) throw new Error(`npm pack printed no package: ${packOut}`);
    const tarball = path.join(tmp, path.basename(info.filename));
    t.true(fs.existsSync(tarball));
    const contents = info.files.map((f) => f.path);
    t.true(
      contents.some((f) => f.startsWith(`prebuilds/${PLATFORM}/`) && f.endsWith('.node')),
      'the tarball has the prebuild',
    );
    t.true(contents.includes('dist/cjs/index.js') && contents.includes('dist/esm/index.mjs'), 'the tarball has dist/');
    t.false(
      contents.some((f) => f.startsWith('build/')),
      'the tarball has no build/ folder (it would be loaded before the prebuild)',
    );
    t.false(
      contents.some((f) => /(^|\/)lib(torch|c10)[\w-]*\.so/.test(f)), // not scripts/libtorch.js, which belongs
      'libtorch itself is not in the tarball',
    );

    // 3. install into an empty folder, with a PATH that has node and npm only
    const bin = path.join(tmp, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    // npm runs install scripts with `sh` from PATH (and node-gyp-build-test through a shell)
    fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
    fs.writeFileSync(path.join(bin, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${npmCli}" "$@"\n`, {
      mode: 0o755,
    });
    const env = cleanEnv({ PATH: bin, HOME: os.homedir() });
    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    for (const compiler of COMPILERS) {
      await t.throwsAsync(
        run('/bin/sh', ['-c', `command -v ${compiler}`], app, env),
        undefined,
        `${compiler} is not on PATH`,
      );
    }
    const installLog = await run(
      path.join(bin, 'npm'),
      ['install', '--offline', '--no-audit', '--no-fund', '--foreground-scripts', '--ignore-scripts=false', tarball],
      app,
      env,
    );
    t.log(installLog.trim().split('\n').slice(-3).join('\n'));
    const installed = path.join(app, 'node_modules', 'torchnode');
    t.true(fs.existsSync(path.join(installed, 'package.json')));
    t.false(fs.existsSync(path.join(installed, 'build')), 'nothing was compiled at install (no build/ folder)');

    // 4. require('torchnode') loads, computes, and loaded its .node from prebuilds/
    const cjs = await run(
      path.join(bin, 'node'),
      [
        '-e',
        `const tn = require('torchnode');
         const y = tn.tensor([[1, 2], [3, 4]]).matmul(tn.tensor([1, 1]));
         const addons = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
         console.log(JSON.stringify({ y: y.tolist(), addons, version: tn.version }));`,
      ],
      app,
      env,
    );
    const cjsReport = JSON.parse(cjs.trim().split('\n').at(-1) ?? '') as {
      y: number[];
      addons: string[];
      version: { torchnode: string; libtorch: string };
    };
    t.deepEqual(cjsReport.y, [3, 7]);
    t.is(cjsReport.addons.length, 1, `one addon loaded: ${cjsReport.addons.join(', ')}`);
    t.true(
      (cjsReport.addons[0] ?? '').startsWith(path.join(fs.realpathSync(installed), 'prebuilds', PLATFORM) + path.sep),
      `the addon came from the prebuild: ${cjsReport.addons[0]}`,
    );
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    t.is(cjsReport.version.torchnode, pkg.version);

    // 5. import('torchnode') loads too, with named and default exports, sharing the CommonJS binding
    const esm = await run(
      path.join(bin, 'node'),
      [
        '--input-type=module',
        '-e',
        `import * as tn from 'torchnode';
         import def from 'torchnode';
         import { createRequire } from 'node:module';
         const dynamic = await import('torchnode');
         const cjs = createRequire(import.meta.url)('torchnode');
         const y = tn.tensor([1, 2, 3]).mul(2);
         console.log(JSON.stringify({
           y: y.tolist(),
           named: typeof tn.tensor === 'function' && typeof tn.zeros === 'function' && typeof tn.cuda === 'object',
           sameAsDefault: def.tensor === tn.tensor,
           sameAsDynamic: dynamic.tensor === tn.tensor,
           sameAsRequire: cjs.Tensor === tn.Tensor && y instanceof cjs.Tensor,
         }));`,
      ],
      app,
      env,
    );
    const esmReport = JSON.parse(esm.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
    t.deepEqual(esmReport, {
      y: [2, 4, 6],
      named: true,
      sameAsDefault: true,
      sameAsDynamic: true,
      sameAsRequire: true,
    });

    // 6. the types ship with it
    t.true(fs.existsSync(path.join(installed, 'dist', 'cjs', 'index.d.ts')));
    t.true(fs.existsSync(path.join(installed, 'dist', 'esm', 'index.d.mts')));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
