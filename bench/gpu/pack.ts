/**
 * npx tsx bench/gpu/pack.ts [--out DIR] [--no-compress]
 *
 * Packs the GPU check for a Linux x86-64 machine that has an NVIDIA GPU and nothing else (no node,
 * no network): `bench/.work/gpu-pack/pandagpt-gpu-check.tar.xz` (must stay ≤ 64 MiB) holding
 *
 *   run.sh        environment (Vulkan loader/ICD fallbacks), then `node check.mjs "$@"`
 *   node          this machine's node binary, symbols stripped
 *   check.mjs     bench/gpu/check.ts + engine + converter pieces, bundled by esbuild; onnxruntime-web
 *                 is its JSEP build (ort.bundle.min.mjs, what Vite gives the page's worker)
 *   ort-wasm-simd-threaded.jsep.wasm
 *   node_modules/ onnxruntime-node (dist + linux-x64 binding, WebGPU EP included), onnxruntime-common,
 *                 webgpu (dawn.node for linux-x64)
 *   lib/libvulkan.so.1   used only when the machine has no Vulkan loader
 *   tokenizer/    the fixture's Vicuna tokenizer (the synthetic checkpoint needs one)
 *   PACK.json     versions, commit, glibc each binary needs
 *
 * Then it runs `run.sh --help` and `run.sh --probe` from the pack to prove the bundle and its
 * native parts load.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const NAME = 'pandagpt-gpu-check';
/** The carry limit of the machines this is meant for. */
export const MAX_PACK_BYTES = 64 * 2 ** 20;
const TOKENIZER_FILES = ['tokenizer.model', 'special_tokens_map.json', 'tokenizer_config.json', 'added_tokens.json', 'generation_config.json'];

const log = (m: string): void => void process.stderr.write(`[gpu-pack] ${m}\n`);
const nm = (p: string): string => join(root, 'node_modules', p);

/** Points the converter's q4 quantiser at the memoised one (q4-shared.ts), except from there. */
const sharedQ4: Plugin = {
  name: 'q4-shared',
  setup(b) {
    const shared = join(here, 'q4-shared.ts');
    b.onResolve({ filter: /\/quant\/q4$/ }, (args) => (args.importer === shared ? undefined : { path: shared }));
  },
};

/** Highest GLIBC_2.x symbol version a binary asks for (what the target's glibc must have). */
function glibcNeeded(file: string): string {
  const text = readFileSync(file).toString('latin1');
  let max = 0;
  for (const m of text.matchAll(/GLIBC_2\.(\d+)/g)) max = Math.max(max, Number(m[1]));
  return max ? `2.${max}` : 'none';
}

function copyInto(dir: string, from: string, rel: string): void {
  const to = join(dir, rel);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true, dereference: true });
}

function version(pkg: string): string {
  return (JSON.parse(readFileSync(nm(join(pkg, 'package.json')), 'utf8')) as { version: string }).version;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** The system's Vulkan loader (the real file behind libvulkan.so.1), if this machine has one. */
function vulkanLoader(): string | undefined {
  try {
    const line = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).split('\n').find((l) => /libvulkan\.so\.1 .*x86-64/.test(l));
    const p = line?.split('=>')[1]?.trim();
    if (p && existsSync(p)) return realpathSync(p);
  } catch {
    // no ldconfig: fall through
  }
  return ['/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1'].filter(existsSync).map((p) => realpathSync(p))[0];
}

export interface PackResult {
  dir: string;
  tarball: string;
  /** Size of the tarball; NaN when not compressed. */
  bytes: number;
}

export async function pack(outRoot = join(root, 'bench', '.work', 'gpu-pack'), compress = true): Promise<PackResult> {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`pack on linux-x64 (the target's platform); this is ${process.platform}-${process.arch}`);
  const dir = join(outRoot, NAME);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  log('bundling check.mjs');
  const r = await build({
    entryPoints: [join(here, 'check.ts')],
    outfile: join(dir, 'check.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Native addons stay packages beside the bundle (they find their binaries by relative path).
    external: ['onnxruntime-node', 'webgpu'],
    // Under the "node" condition onnxruntime-web resolves to its wasm-only build; the page gets JSEP.
    alias: { 'onnxruntime-web': nm('onnxruntime-web/dist/ort.bundle.min.mjs') },
    // CommonJS dependencies call require(); an ESM bundle has none of its own.
    banner: { js: "import { createRequire as __gpuCheckRequire } from 'node:module'; const require = __gpuCheckRequire(import.meta.url);" },
    plugins: [sharedQ4],
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });
  const inputs = Object.keys(r.metafile.inputs);
  if (!inputs.some((p) => p.endsWith('bench/gpu/q4-shared.ts'))) throw new Error('q4-shared.ts is not in the bundle: the converter moved its q4 quantiser?');
  if (!inputs.some((p) => p.endsWith('ort.bundle.min.mjs'))) throw new Error('onnxruntime-web JSEP build is not in the bundle');

  log(`node ${process.version} from ${process.execPath}`);
  const node = join(dir, 'node');
  copyFileSync(realpathSync(process.execPath), node);
  chmodSync(node, 0o755);
  try {
    // .symtab and debug info only; .dynsym (what addons link against) stays.
    execFileSync('strip', ['--strip-all', node]);
  } catch {
    log('strip not available: node packed unstripped');
  }

  copyFileSync(nm('onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.wasm'), join(dir, 'ort-wasm-simd-threaded.jsep.wasm'));
  const ortBin = 'bin/napi-v6/linux/x64';
  const packages: Record<string, string[]> = {
    'onnxruntime-node': ['package.json', 'dist', ortBin],
    // onnxruntime-node require()s it: the CommonJS build is enough.
    'onnxruntime-common': ['package.json', 'dist/cjs'],
    webgpu: ['package.json', 'index.js', 'dist/linux-x64/dawn.node'],
  };
  for (const [pkg, files] of Object.entries(packages)) for (const f of files) copyInto(dir, nm(join(pkg, f)), join('node_modules', pkg, f));

  const vk = vulkanLoader();
  if (vk) copyInto(dir, vk, 'lib/libvulkan.so.1');
  else log('no Vulkan loader on this machine: the pack relies on the target having libvulkan.so.1');

  const tok = join(root, 'test/fixtures/pandagpt-tiny/vicuna');
  for (const f of TOKENIZER_FILES) if (existsSync(join(tok, f))) copyInto(dir, join(tok, f), join('tokenizer', f));
  copyFileSync(join(here, 'run.sh'), join(dir, 'run.sh'));
  chmodSync(join(dir, 'run.sh'), 0o755);

  const binaries = { node, 'onnxruntime-node': join(dir, 'node_modules/onnxruntime-node', ortBin, 'libonnxruntime.so.1'), 'dawn.node': join(dir, 'node_modules/webgpu/dist/linux-x64/dawn.node'), ...(vk ? { libvulkan: join(dir, 'lib/libvulkan.so.1') } : {}) };
  const glibc = Object.fromEntries(Object.entries(binaries).map(([k, f]) => [k, glibcNeeded(f)]));
  const dirty = git(['status', '--porcelain']);
  writeFileSync(
    join(dir, 'PACK.json'),
    JSON.stringify(
      {
        createdAt: new Date().toISOString(),
        commit: git(['rev-parse', 'HEAD']),
        workingTreeDirty: dirty !== '' && dirty !== 'unknown',
        node: process.version,
        onnxruntimeNode: version('onnxruntime-node'),
        onnxruntimeWeb: version('onnxruntime-web'),
        webgpu: version('webgpu'),
        glibcNeeded: glibc,
      },
      null,
      2,
    ) + '\n',
  );
  log(`glibc needed: ${JSON.stringify(glibc)}`);
  const ldd = execFileSync('ldd', [node], { encoding: 'utf8' });
  if (/not found/.test(ldd)) throw new Error(`packed node misses libraries here:\n${ldd}`);

  // The pack must start from itself: bundle, externals, native libraries.
  const fromPack = (arg: string): string => {
    try {
      return execFileSync(join(dir, 'run.sh'), [arg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    } catch (e) {
      const x = e as { stdout?: string; stderr?: string; message: string };
      throw new Error(`run.sh ${arg} failed from the pack: ${x.message}\n${x.stdout ?? ''}${x.stderr ?? ''}`);
    }
  };
  fromPack('--help');
  const probe = fromPack('--probe');
  if (!/onnxruntime-node backends: .*"webgpu"/.test(probe)) throw new Error(`probe did not list onnxruntime-node's WebGPU EP:\n${probe}`);
  log(`probe ok: ${probe.split('\n').find((l) => l.startsWith('| description')) ?? 'Dawn: no adapter here (expected without a GPU or SwiftShader)'}`);

  const tarball = join(outRoot, `${NAME}.tar.xz`);
  if (!compress) return { dir, tarball, bytes: NaN };
  log(`compressing ${tarball}`);
  execFileSync('sh', ['-c', `tar -C "$1" -cf - "$2" | xz -9 -T0 -c > "$3"`, 'sh', outRoot, basename(dir), tarball], { stdio: 'inherit' });
  const bytes = statSync(tarball).size;
  log(`${tarball}: ${bytes} bytes (${(bytes / 2 ** 20).toFixed(2)} MiB of ${MAX_PACK_BYTES / 2 ** 20} MiB)`);
  if (bytes > MAX_PACK_BYTES) throw new Error(`the pack is ${(bytes / 2 ** 20).toFixed(2)} MiB, over the ${MAX_PACK_BYTES / 2 ** 20} MiB limit`);
  return { dir, tarball, bytes };
}

const isMain = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (isMain) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, 'no-compress': { type: 'boolean', default: false } }, strict: true });
  pack(values.out ? resolve(values.out) : undefined, !values['no-compress']).then(
    (p) => process.stdout.write(Number.isNaN(p.bytes) ? `${p.dir}\n` : `${p.tarball} ${p.bytes}\n`),
    (e: unknown) => {
      process.stderr.write(`gpu-pack: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
