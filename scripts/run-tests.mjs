#!/usr/bin/env node
// Runs the compiled tests with node's own runner. `unit` runs only the fast tests beside the code
// (src/**/*.test.js); no argument runs those plus the integration and end-to-end tests in test/.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, out = []) {
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) find(p, out);
    else if (e.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const only = process.argv[2];
const files = find('dist/src').sort();
if (only !== 'unit') files.push(...find('dist/test').sort());
const filter = process.env.AIRGAP_TEST_FILTER;
const selected = filter ? files.filter((f) => f.includes(filter)) : files;
if (selected.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--test', '--test-concurrency=2', '--test-reporter=spec', ...selected],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
