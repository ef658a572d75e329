/**
 * Mutation check of the transport contract suite: copies @evcharging/transport-memory's sources,
 * breaks one semantic at a time (test-only mutants, never committed as code), runs the contract
 * suite against each copy, and reports which contract tests caught it. A mutant no test catches
 * means the suite has a hole. Run: pnpm mutants:transport
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Mutant {
  name: string;
  file: string;
  find: string;
  replace: string;
}

const MUTANTS: Mutant[] = [
  {
    name: 'synchronous delivery (handler runs inside publish)',
    file: 'lane.ts',
    find: 'else deferOn(owner.clock, this.start);',
    replace: 'else this.start();',
  },
  {
    name: 'synchronous delivery in the simulation lane (handler runs inside publish)',
    file: 'lane.ts',
    find: 'else if (dispatcher) dispatcher.add(this);',
    replace: 'else if (dispatcher) this.dispatch();',
  },
  {
    name: 'lost ordering (a key is spread over partitions)',
    file: 'memory-broker.ts',
    find: 'const partition = partitionFor(key, this.partitions);',
    replace: 'const partition = state.offsets.reduce((a, b) => a + b, 0) % this.partitions;',
  },
  {
    name: 'no group sharing (every member gets every message)',
    file: 'memory-broker.ts',
    find: 'const existing = state.byId.get(groupId);',
    replace: 'const existing = undefined as ConsumerGroup | undefined;',
  },
  {
    name: 'no redelivery (a failed message is dead-lettered at once)',
    file: 'lane.ts',
    find: 'if (this.attempt >= host.maxAttempts) {',
    replace: 'if (this.attempt >= 1) {',
  },
  {
    name: 'close() keeps delivering',
    file: 'memory-transport.ts',
    find: 'for (const entry of [...this.members]) entry.leave();',
    replace: '',
  },
];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = path.join(root, 'packages/transport-memory');
const work = path.join(pkg, '.mutants');

function runSuite(dir: string): { failed: string[]; passed: number } {
  const out = path.join(dir, 'result.json');
  try {
    execFileSync(
      'pnpm',
      [
        'exec',
        'vitest',
        'run',
        '--root',
        dir,
        '--config',
        path.join(dir, 'vitest.config.ts'),
        '--reporter=json',
        `--outputFile=${out}`,
      ],
      { cwd: root, stdio: 'ignore' },
    );
  } catch {
    // vitest exits non-zero when tests fail; the JSON report says which.
  }
  const result = JSON.parse(readFileSync(out, 'utf8')) as {
    numPassedTests: number;
    testResults: { assertionResults: { fullName: string; status: string }[] }[];
  };
  const failed = result.testResults.flatMap((f) =>
    f.assertionResults.filter((a) => a.status === 'failed').map((a) => a.fullName),
  );
  return { failed, passed: result.numPassedTests };
}

rmSync(work, { recursive: true, force: true });
let survivors = 0;
for (const [i, mutant] of MUTANTS.entries()) {
  const dir = path.join(work, `m${i}`);
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(pkg, 'src'), path.join(dir, 'src'), { recursive: true });
  const file = path.join(dir, 'src', mutant.file);
  const source = readFileSync(file, 'utf8');
  if (!source.includes(mutant.find))
    throw new Error(`mutant "${mutant.name}": text not found in ${mutant.file}`);
  writeFileSync(file, source.replace(mutant.find, mutant.replace));
  writeFileSync(
    path.join(dir, 'vitest.config.ts'),
    `import { defineConfig } from 'vitest/config';\nimport { sourceConditions } from '${path.join(root, 'vitest.shared.ts')}';\nexport default defineConfig({ ...sourceConditions, test: { include: ['src/memory-transport.contract.test.ts'] } });\n`,
  );
  const { failed, passed } = runSuite(dir);
  if (failed.length === 0) survivors++;
  process.stdout.write(
    `\n${failed.length > 0 ? 'KILLED ' : 'SURVIVED'}  ${mutant.name}  (${passed} passed, ${failed.length} failed)\n`,
  );
  for (const name of failed)
    process.stdout.write(`    caught by: ${name.replace(/^transport contract: /, '')}\n`);
}
rmSync(work, { recursive: true, force: true });
process.stdout.write(`\n${MUTANTS.length - survivors}/${MUTANTS.length} mutants killed\n`);
process.exit(survivors === 0 ? 0 : 1);
