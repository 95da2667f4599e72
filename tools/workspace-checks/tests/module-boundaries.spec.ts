import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const rootConfig = (await import(pathToFileURL(join(root, 'eslint.config.mjs')).href)) as {
  boundaries: Record<string, unknown>;
};
const RULE = '@nx/enforce-module-boundaries';

/** The workspace's lint exactly as `npm test` runs it. */
const workspaceLint = new ESLint({ cwd: root });
/** The same tag constraints with the package.json and buildability checks off, to prove the tags alone forbid. */
const tagsOnlyLint = new ESLint({
  cwd: root,
  overrideConfig: [
    {
      rules: {
        [RULE]: [
          'error',
          {
            ...rootConfig.boundaries,
            banTransitiveDependencies: false,
            enforceBuildableLibDependency: false,
          },
        ],
      },
    },
  ],
});

/** Lints one line of code as if it were written in a file of the workspace. */
async function boundaryErrors(
  eslint: ESLint,
  fileInWorkspace: string,
  code: string,
): Promise<string> {
  const [result] = await eslint.lintText(`${code}\nexport const probe = 1;\n`, {
    filePath: join(root, fileInWorkspace),
  });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === RULE)
    .map((message) => message.message)
    .join('\n');
}

describe('module boundaries', () => {
  it('forbid the SDK from importing an app', async () => {
    const code = "import '@trellis/catalog/package.json';";
    expect(await boundaryErrors(workspaceLint, 'libs/mesh/src/probe.ts', code)).not.toBe('');
    expect(await boundaryErrors(tagsOnlyLint, 'libs/mesh/src/probe.ts', code)).toMatch(
      /Imports of apps are forbidden|Circular dependency/,
    );
  });

  it('forbid the SDK from importing any other project of ours, by its tags alone', async () => {
    const code = "import '@trellis/workspace-checks/package.json';";
    expect(await boundaryErrors(workspaceLint, 'libs/mesh/src/probe.ts', code)).not.toBe('');
    expect(await boundaryErrors(tagsOnlyLint, 'libs/mesh/src/probe.ts', code)).toMatch(
      /A project tagged with "scope:sdk" cannot depend on any libs with tags/,
    );
  });

  it('forbid the SDK from reaching into an app by relative path', async () => {
    const errors = await boundaryErrors(
      workspaceLint,
      'libs/mesh/src/probe.ts',
      "import '../../../apps/catalog/src/catalog-store.js';",
    );
    expect(errors).toMatch(/cannot be imported by a relative or absolute path/);
  });

  it('forbid an app from importing a library internal instead of its public entry', async () => {
    const errors = await boundaryErrors(
      workspaceLint,
      'apps/catalog/src/probe.ts',
      "import '../../../libs/mesh/src/upstream.js';",
    );
    expect(errors).toMatch(/cannot be imported by a relative or absolute path/);
  });

  it('allow an app to import the SDK through its public entry', async () => {
    expect(
      await boundaryErrors(workspaceLint, 'apps/catalog/src/probe.ts', "import '@trellis/mesh';"),
    ).toBe('');
  });
});
