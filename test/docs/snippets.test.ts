import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { typescriptBlocks } from '../consumer/readme-snippets.js';

// Every ```ts block of the READMEs is a program a user may paste: each one is type-checked on
// its own, as a module of a project that has Baton's packages installed, with the project's
// strict settings. A block that needs a name it never defines fails here.

const root = fileURLToPath(new URL('../..', import.meta.url));
const scratch = join(root, 'test', 'docs', '.snippets');

async function readmes(): Promise<string[]> {
  const found = ['README.md'];
  for (const folder of ['packages', 'examples']) {
    for (const entry of await readdir(join(root, folder), { withFileTypes: true })) {
      if (entry.isDirectory()) found.push(join(folder, entry.name, 'README.md'));
    }
  }
  const existing: string[] = [];
  for (const path of found) {
    if ((await typescriptBlocks(join(root, path)).catch(() => undefined)) !== undefined) existing.push(path);
  }
  return existing;
}

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('docs', () => {
  it('every ts block of README.md and the package READMEs type-checks on its own', async () => {
    await rm(scratch, { recursive: true, force: true });
    await mkdir(scratch, { recursive: true });
    const files: { file: string; origin: string }[] = [];
    for (const readme of await readmes()) {
      const blocks = await typescriptBlocks(join(root, readme));
      for (const [index, block] of blocks.entries()) {
        const file = join(scratch, `${readme.replaceAll('/', '_').replace(/\.md$/, '')}_${index + 1}.ts`);
        // `export {}` makes each block a module of its own (top-level await, no shared names).
        await writeFile(file, `${block.code}\nexport {};\n`);
        files.push({ file, origin: `${readme} block ${index + 1} (under "${block.heading}")` });
      }
    }
    expect(files.length).toBeGreaterThan(10);

    const configPath = join(root, 'test', 'tsconfig.json');
    const config = ts.getParsedCommandLineOfConfigFile(
      configPath,
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
          throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
        },
      },
    );
    if (!config) throw new Error(`cannot read ${configPath}`);
    const program = ts.createProgram({
      rootNames: files.map(({ file }) => file),
      options: { ...config.options, noEmit: true, noUnusedLocals: false },
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file?.fileName.startsWith(scratch) === true)
      .map((diagnostic) => {
        const file = diagnostic.file as ts.SourceFile;
        const origin = files.find((entry) => entry.file === file.fileName)?.origin ?? relative(root, file.fileName);
        const { line } = file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
        return `${origin}, line ${line + 1}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`;
      });
    expect(problems).toEqual([]);
  }, 120_000);
});
