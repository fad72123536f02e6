#!/usr/bin/env node
// Some registries (mirrors) do not serve every platform build of msgpackr-extract, and npm then
// writes a package-lock.json without them, which `npm ci` refuses as "not in sync". This adds
// the missing platform entries (optional, with their os/cpu, so other platforms skip them and
// the matching platform resolves them from its registry). Run after `npm install` changes the
// lock: `npm run fix-lock`.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const pkgs = lock.packages;
const platforms = {
  'darwin-arm64': ['darwin', 'arm64'], 'darwin-x64': ['darwin', 'x64'], 'linux-arm': ['linux', 'arm'],
  'linux-arm64': ['linux', 'arm64'], 'linux-x64': ['linux', 'x64'], 'win32-x64': ['win32', 'x64'],
};
const added = [];
for (const [parent, info] of Object.entries(pkgs)) {
  if (!parent.endsWith('node_modules/msgpackr-extract')) continue;
  for (const [name, version] of Object.entries(info.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (key in pkgs) continue;
    const [os, cpu] = platforms[name.split('msgpackr-extract-')[1]] ?? [];
    if (os === undefined) continue;
    pkgs[key] = { version, cpu: [cpu], license: 'MIT', optional: true, os: [os] };
    added.push(name);
  }
}
const sorted = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
lock.packages = sorted;
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(added.length ? `added ${added.join(', ')}` : 'nothing to add');
