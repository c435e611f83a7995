#!/usr/bin/env node
/**
 * Runs before `npm test`: the e2e tests need Chromium, the CLI tests ffmpeg, the JPEG tests djpeg.
 * When one is missing this says which and how to install it — or installs it (Debian, as root) —
 * instead of letting a test fail deep inside. Plain Node, no dependencies: it runs before anything
 * else is known to work.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const needs = [
  { what: 'Chromium (the e2e tests run in it)', ok: () => executable(chromium), pkg: 'chromium', hint: process.env.CHROMIUM_PATH ? `CHROMIUM_PATH=${chromium} is not an executable` : 'or set CHROMIUM_PATH to another Chrome' },
  { what: 'ffmpeg (video and compressed audio in Node)', ok: () => onPath('ffmpeg'), pkg: 'ffmpeg' },
  { what: 'djpeg (the JPEG decoder tests compare with it)', ok: () => onPath('djpeg'), pkg: 'libjpeg-turbo-progs' },
];

if (!existsSync('node_modules/.package-lock.json')) {
  console.error('npm test: the dependencies are not installed. Run `npm ci` first.');
  process.exit(1);
}

let missing = needs.filter((n) => !n.ok());
if (missing.length === 0) process.exit(0);

const pkgs = [...new Set(missing.map((n) => n.pkg))];
const canInstall = process.getuid?.() === 0 && onPath('apt-get') && process.env.PANDAGPT_NO_INSTALL !== '1';
if (canInstall && (process.env.CHROMIUM_PATH === undefined || !missing.some((n) => n.pkg === 'chromium'))) {
  console.error(`npm test: installing what the tests need: ${pkgs.join(' ')} (apt-get, as root; PANDAGPT_NO_INSTALL=1 turns this off)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: ['ignore', 'ignore', 'inherit'], env });
  } catch {
    // reported below with the command to run by hand
  }
  missing = needs.filter((n) => !n.ok());
  if (missing.length === 0) process.exit(0);
}

console.error('npm test needs programs this machine does not have:');
for (const n of missing) console.error(`  - ${n.what}${n.hint ? ` (${n.hint})` : ''}`);
console.error(`Install them (Debian/Ubuntu):\n  sudo apt-get install -y ${[...new Set(missing.map((n) => n.pkg))].join(' ')}`);
process.exit(1);
