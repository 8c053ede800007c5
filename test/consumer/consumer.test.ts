// What a user gets from npm: every package packed as `npm pack` would publish it, installed
// into a fresh project outside the workspace, the README's "Use" program type-checked under
// strict `module: nodenext` and run against memory:// and a real Redis, loaded once with
// require(), and the error when an adapter is not installed.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackend, type ServerHandle, startServer } from '../backends/index.js';
import { typescriptBlocks } from './readme-snippets.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
/** What the project installs: core, and one adapter to run against; etcd's absence is checked. */
const PACKED = ['core', 'redis'];
/** Installed into a second project with install scripts off, so that its native addon is never built. */
const PACKED_WITHOUT_SCRIPTS = ['core', 'zookeeper'];

let dir: string;
let app: string;

async function packInto(destination: string, names: readonly string[]): Promise<Record<string, string>> {
  const tarballs: Record<string, string> = {};
  for (const name of names) {
    const packageDir = join(root, 'packages', name);
    if (!existsSync(join(packageDir, 'dist', 'index.js')))
      throw new Error(`packages/${name} is not built: npm run build`);
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination], { cwd: packageDir });
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    tarballs[`@baton/${name}`] = `file:${join(destination, packed?.filename ?? '')}`;
  }
  return tarballs;
}

/** Runs `file` with this process's Node (the version under test) until it prints `ready`, then sends SIGTERM. */
async function runUntil(
  file: string,
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<{ code: number | null; output: string }> {
  const child: ChildProcess = spawn(process.execPath, [file], { cwd: app, env: { ...process.env, ...env } });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const seen = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (ready.test(output)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await Promise.race([seen, exited]);
  child.kill('SIGTERM');
  const code = await exited;
  clearTimeout(timer);
  return { code, output };
}

let prepared: Promise<void> | undefined;

/** Packs, creates the project and installs it, once for both suites of this file. */
function prepare(): Promise<void> {
  prepared ??= install();
  return prepared;
}

async function install(): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), 'baton-consumer-'));
  app = join(dir, 'app');
  await mkdir(app);
  const tarballs = await packInto(dir, PACKED);
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      private: true,
      type: 'module',
      dependencies: { ...tarballs, typescript: '~5.9.3', '@types/node': '^20.19.0' },
    }),
  );
  await writeFile(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023', 'ESNext.Disposable'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        verbatimModuleSyntax: true,
        skipLibCheck: false,
        types: ['node'],
        outDir: 'out',
      },
      include: ['main.ts'],
    }),
  );
  const [use] = (await typescriptBlocks(join(root, 'README.md'))).filter((block) => block.heading === 'Use');
  if (!use) throw new Error('README.md has no ts block under "Use"');
  await writeFile(join(app, 'main.ts'), use.code);
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, timeout: 240_000 });
}

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the published packages, installed into a project of their own', () => {
  beforeAll(prepare, 300_000);

  it('installs only what runs: no sources of tests, no .tsbuildinfo, a LICENSE', async () => {
    const installed = join(app, 'node_modules', '@baton', 'core');
    const files = await readdir(installed, { recursive: true });
    expect(files).toContain('LICENSE');
    expect(files.some((file) => file.endsWith('.tsbuildinfo'))).toBe(false);
    expect(files.some((file) => file.startsWith('test'))).toBe(false);
  });

  it('type-checks the README\'s "Use" program under strict module: nodenext', async () => {
    await run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: app });
    expect(existsSync(join(app, 'out', 'main.js'))).toBe(true);
  });

  it('runs it on memory:// and stops cleanly on SIGTERM', async () => {
    const { code, output } = await runUntil(join(app, 'out', 'main.js'), { BATON_URL: 'memory://' }, /leading/);
    expect(output).toMatch(/leading with fencing token \d+/);
    expect(code, output).toBe(0);
  });

  it('loads with require() from CommonJS, both entry points', async () => {
    await writeFile(
      join(app, 'require.cjs'),
      `const core = require('@baton/core');
const adapter = require('@baton/core/adapter');
require('@baton/redis');
if (typeof core.connect !== 'function' || typeof adapter.BackendBase !== 'function') process.exit(2);
core.connect('memory://').then((backend) => backend.close()).then(() => console.log('required'));
`,
    );
    const { stdout } = await run(process.execPath, [join(app, 'require.cjs')], { cwd: app });
    expect(stdout.trim()).toBe('required');
  });

  it('tells an adapter that is installed but fails to load from one that is missing, with the cause', async () => {
    const broken = join(app, 'node_modules', '@baton', 'zookeeper');
    await mkdir(broken, { recursive: true });
    await writeFile(
      join(broken, 'package.json'),
      JSON.stringify({ name: '@baton/zookeeper', version: '0.1.0', type: 'module', exports: './index.js' }),
    );
    await writeFile(join(broken, 'index.js'), "import 'a-dependency-that-is-not-installed';\n");
    await writeFile(
      join(app, 'broken.mjs'),
      `import { connect } from '@baton/core';
connect('zookeeper://127.0.0.1:2181').catch((error) => console.log(JSON.stringify({ code: error.code, message: error.message })));
`,
    );
    const { stdout } = await run(process.execPath, [join(app, 'broken.mjs')], { cwd: app });
    const error = JSON.parse(stdout) as { code: string; message: string };
    expect(error.code).toBe('ERR_ADAPTER_LOAD_FAILED');
    expect(error.message).toContain('@baton/zookeeper is installed but could not be loaded');
    expect(error.message).toContain('a-dependency-that-is-not-installed');
    await rm(broken, { recursive: true, force: true });
  });

  it('names the package to install when an adapter is missing', async () => {
    await writeFile(
      join(app, 'missing.mjs'),
      `import { connect } from '@baton/core';
connect('etcd://127.0.0.1:2379').catch((error) => console.log(JSON.stringify({ code: error.code, message: error.message })));
`,
    );
    const { stdout } = await run(process.execPath, [join(app, 'missing.mjs')], { cwd: app });
    const error = JSON.parse(stdout) as { code: string; message: string };
    expect(error.code).toBe('ERR_ADAPTER_NOT_INSTALLED');
    expect(error.message).toContain('npm install @baton/etcd');
  });
});

describe('an adapter whose store client has a native addon that was never built', () => {
  let project: string;
  beforeAll(async () => {
    await prepare();
    project = join(dir, 'no-scripts');
    await mkdir(project);
    await mkdir(join(dir, 'no-scripts-tarballs'));
    const tarballs = await packInto(join(dir, 'no-scripts-tarballs'), PACKED_WITHOUT_SCRIPTS);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'no-scripts', private: true, type: 'module', dependencies: tarballs }),
    );
    // As pnpm does by default, and npm with --ignore-scripts: zookeeper's addon is not compiled.
    await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: project,
      timeout: 240_000,
    });
  }, 300_000);

  it('connect() says the addon did not load and how to rebuild it: ERR_ADAPTER_LOAD_FAILED, not a store outage', async () => {
    await writeFile(
      join(project, 'addon.mjs'),
      `import { connect } from '@baton/core';
import '@baton/zookeeper';
connect('zookeeper://127.0.0.1:2181').catch((error) => console.log(JSON.stringify({ code: error.code, message: error.message })));
`,
    );
    const { stdout } = await run(process.execPath, [join(project, 'addon.mjs')], { cwd: project });
    const error = JSON.parse(stdout) as { code: string; message: string };
    expect(error.code).toBe('ERR_ADAPTER_LOAD_FAILED');
    expect(error.message).toContain('zookeeper is installed but could not be loaded');
    expect(error.message).toContain('npm rebuild zookeeper');
  });
});

describeBackend('redis')('the published packages against a real store', () => {
  let server: ServerHandle | undefined;
  beforeAll(async () => {
    await prepare();
    await run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: app });
    server = await startServer('redis');
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("runs the README's program on redis:// and stops cleanly on SIGTERM", async () => {
    const { code, output } = await runUntil(join(app, 'out', 'main.js'), { BATON_URL: server?.url ?? '' }, /leading/);
    expect(output).toMatch(/leading with fencing token \d+/);
    expect(code, output).toBe(0);
  });
});
