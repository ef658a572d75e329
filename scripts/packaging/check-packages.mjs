#!/usr/bin/env node
// Checks the tarballs `pnpm pack` made of every package, as a consumer would get them:
// - publint and @arethetypeswrong/cli (ESM-only profile: these packages have no CommonJS entry);
// - what those tools do not look at: a LICENSE file, no workspace-only `@evcharging/source`
//   export condition, no `workspace:` range, no source map shipped or referenced.
// Usage: node scripts/packaging/check-packages.mjs [folder of .tgz files]
// (without a folder it packs every package into a temporary one first; needs `pnpm build`).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repository = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let folder = process.argv[2];
if (!folder) {
  folder = mkdtempSync(join(tmpdir(), 'evcharging-packs-'));
  const packer = join(repository, 'scripts', 'packaging', 'pack-packages.sh');
  execFileSync('bash', [packer, folder], { stdio: ['ignore', 'ignore', 'inherit'] });
  process.on('exit', () => rmSync(folder, { recursive: true, force: true }));
}
const tarballs = readdirSync(folder)
  .filter((f) => f.endsWith('.tgz'))
  .map((f) => join(folder, f));
if (tarballs.length === 0) {
  console.error(`check-packages: no .tgz in ${folder}`);
  process.exit(2);
}

const problems = [];
const run = (label, command, args) => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  const output = `${result.stdout}${result.stderr}`.trim();
  console.log(`--- ${label}\n${output}`);
  if (result.status !== 0) problems.push(`${label} exited with ${result.status}`);
};

for (const tarball of tarballs) {
  const name = tarball.split('/').pop();
  const unpacked = mkdtempSync(join(tmpdir(), 'evcharging-pack-'));
  try {
    execFileSync('tar', ['xzf', tarball, '-C', unpacked]);
    const root = join(unpacked, 'package');
    const files = execFileSync('find', ['.', '-type', 'f'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    const pkgText = readFileSync(join(root, 'package.json'), 'utf8');
    const pkg = JSON.parse(pkgText);
    if (!files.includes('./LICENSE')) problems.push(`${name}: no LICENSE file`);
    // publishConfig.exports replaces exports on publish: it must offer every subpath and condition
    // the workspace's exports do, less the workspace-only source condition.
    const source = JSON.parse(
      readFileSync(join(repository, 'packages', pkg.name.split('/')[1], 'package.json'), 'utf8'),
    );
    const expected = JSON.stringify(source.exports, (key, value) =>
      key === '@evcharging/source' ? undefined : value,
    );
    if (JSON.stringify(pkg.exports) !== expected) {
      problems.push(
        `${name}: published exports ${JSON.stringify(pkg.exports)} differ from the workspace's ${expected}`,
      );
    }
    if (pkgText.includes('@evcharging/source')) {
      // Scripts may mention it (they only run inside the repository); exports must not.
      if (JSON.stringify(pkg.exports).includes('@evcharging/source'))
        problems.push(`${name}: exports carry the workspace-only @evcharging/source condition`);
    }
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, range] of Object.entries(pkg[field] ?? {})) {
        if (String(range).startsWith('workspace:')) problems.push(`${name}: ${field}.${dep} is ${range}`);
      }
    }
    for (const file of files) {
      if (file.endsWith('.map')) problems.push(`${name}: ships ${file}`);
      if (
        /\.(js|d\.ts)$/.test(file) &&
        readFileSync(join(root, file), 'utf8').includes('sourceMappingURL=')
      ) {
        problems.push(`${name}: ${file} references a source map that is not shipped`);
      }
    }
    console.log(`=== ${pkg.name}@${pkg.version}: ${files.length} files`);
  } finally {
    rmSync(unpacked, { recursive: true, force: true });
  }
  run(`publint ${name}`, 'pnpm', ['exec', 'publint', 'run', '--strict', tarball]);
  run(`attw ${name}`, 'pnpm', ['exec', 'attw', tarball, '--profile', 'esm-only', '--format', 'ascii']);
}

if (problems.length > 0) {
  console.error(`\ncheck-packages: ${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(`\ncheck-packages: ${tarballs.length} packages clean (publint --strict, attw esm-only, files)`);
