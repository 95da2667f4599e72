import { describe, expect, it } from 'vitest';
import { buildProjects, NxBuildOutput, type BuildStep } from '../src/build.js';
import { repoRoot } from './support/workspace.js';

// What `nx run-many -t build --outputStyle=static` prints (nx 23), tasks in the order they finish.
const SUCCESS = `
 NX   Running target build for 2 projects and 1 task they depend on:

- @trellis/catalog
- @trellis/payments



> nx run @trellis/mesh:build  [local cache]

> tsc --build tsconfig.lib.json\r
\r

> nx run @trellis/payments:build

> tsc --build tsconfig.app.json\r
\r

> nx run @trellis/catalog:build  [existing outputs match the cache, left as is]

> tsc --build tsconfig.app.json




 NX   Successfully ran target build for 2 projects and 1 task they depend on

`;

const FAILURE = `
 NX   Running target build for 2 projects and 1 task they depend on:

- @trellis/catalog
- @trellis/platform

> nx run @trellis/mesh:build  [local cache]

> tsc --build tsconfig.lib.json\r
\r

> nx run @trellis/platform:build

> tsc --build tsconfig.lib.json\r
\r
src/broken.ts(1,14): error TS2322: Type 'string' is not assignable to type 'number'.
Warning: command "tsc --build tsconfig.lib.json" exited with non-zero status code


 NX   Running target build for 2 projects and 1 task they depend on failed

Failed tasks:

- @trellis/platform:build
`;

function parse(text: string, chunkSize: number): BuildStep[] {
  const steps: BuildStep[] = [];
  const parser = new NxBuildOutput((step) => steps.push(step));
  // The output arrives in pieces that cut lines anywhere.
  for (let offset = 0; offset < text.length; offset += chunkSize) {
    parser.feed(text.slice(offset, offset + chunkSize));
  }
  parser.end();
  return steps;
}

describe('NxBuildOutput', () => {
  it.each([1, 7, 10_000])('reports each task once it is done (chunks of %i)', (chunkSize) => {
    const steps = parse(SUCCESS, chunkSize);
    expect(
      steps.map(({ project, cached, failed, done, total }) => ({
        project,
        cached,
        failed,
        done,
        total,
      })),
    ).toEqual([
      { project: '@trellis/mesh', cached: true, failed: false, done: 1, total: 3 },
      { project: '@trellis/payments', cached: false, failed: false, done: 2, total: 3 },
      { project: '@trellis/catalog', cached: true, failed: false, done: 3, total: 3 },
    ]);
  });

  it('marks a failed task and keeps its output, without nx summary', () => {
    const steps = parse(FAILURE, 13);
    expect(steps.map((step) => [step.project, step.failed])).toEqual([
      ['@trellis/mesh', false],
      ['@trellis/platform', true],
    ]);
    const failed = steps[1]!.output;
    expect(failed).toContain("src/broken.ts(1,14): error TS2322: Type 'string' is not assignable");
    expect(failed).not.toContain('Failed tasks');
  });
});

describe('buildProjects', () => {
  it('builds real projects with nx and reports every task', async () => {
    const progress: string[] = [];
    const result = await buildProjects(repoRoot, ['@trellis/shop-kit'], (step) =>
      progress.push(step.project),
    );
    expect(result.ok).toBe(true);
    expect(progress).toEqual(['@trellis/mesh', '@trellis/mesh-express', '@trellis/shop-kit']);
    expect(result.steps.every((step) => !step.failed && step.total === 3)).toBe(true);
  }, 120_000);

  it('fails, with what nx said, when nothing was built', async () => {
    const result = await buildProjects(repoRoot, ['@trellis/no-such-project']);
    expect(result.ok).toBe(false);
    expect(result.steps).toEqual([]);
    expect(result.output).toMatch(/No tasks were run/);
  }, 120_000);
});
