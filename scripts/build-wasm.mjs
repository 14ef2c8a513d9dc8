#!/usr/bin/env node
// Assembles the WebAssembly text files of src/ into dist/ beside the compiled JavaScript that loads
// them (src/repository/gear-cut.wat → dist/src/repository/gear-cut.wasm), with wabt.
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import initWabt from 'wabt';

function find(dir, out = []) {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) find(p, out);
    else if (e.endsWith('.wat')) out.push(p);
  }
  return out;
}

const wabt = await initWabt();
for (const src of find('src')) {
  const mod = wabt.parseWat(src, readFileSync(src, 'utf8'));
  mod.validate();
  const out = join('dist', src.replace(/\.wat$/, '.wasm'));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, Buffer.from(mod.toBinary({}).buffer));
  mod.destroy();
}
