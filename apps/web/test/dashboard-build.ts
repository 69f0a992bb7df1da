/**
 * The dashboard built the way `npm run build -w @guardian/web` does (typecheck + vite), into
 * apps/web/dist or into `outDir` (a test running beside another browser test builds into its own).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@guardian/testkit';

export async function buildDashboard(outDir?: string): Promise<void> {
  const run = promisify(execFile);
  await run(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      'apps/web/src/dashboard/tsconfig.json',
      '--noEmit',
    ],
    { cwd: REPO_ROOT },
  );
  await run(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      'apps/web/src/dashboard/vite.config.ts',
      ...(outDir ? ['--outDir', outDir, '--emptyOutDir'] : []),
      '--logLevel',
      'warn',
    ],
    { cwd: REPO_ROOT },
  );
}
