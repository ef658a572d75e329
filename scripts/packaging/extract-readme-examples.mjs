#!/usr/bin/env node
// Extracts the TypeScript examples of the READMEs into a consumer project, so they are
// type-checked and run against the packed packages exactly as a reader would copy them.
//   ```ts            a complete program: type-checked, compiled and run
//   ```ts check      type-checked only (it needs a Kafka broker, or serves until stopped)
//   ```ts fragment   an excerpt (an interface, a few lines of a larger program): skipped
// A block that imports 'vitest' is a test file, run by vitest.
// Usage: node extract-readme-examples.mjs <repository root> <destination src folder>
// Prints one line per extracted file: <kind> <file> <readme>:<line>
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const [root, dest] = process.argv.slice(2);
if (!root || !dest) {
  console.error('usage: extract-readme-examples.mjs <repository root> <destination src folder>');
  process.exit(2);
}
const readmes = [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'README.md')),
];
mkdirSync(dest, { recursive: true });
let count = 0;
for (const readme of readmes) {
  const lines = readFileSync(readme, 'utf8').split('\n');
  const name =
    relative(root, readme) === 'README.md' ? 'root' : relative(join(root, 'packages'), readme).split('/')[0];
  let block;
  let n = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!block) {
      const open = /^```(ts|typescript)(?:\s+(\S+))?\s*$/.exec(line);
      if (open) block = { start: i + 1, mode: open[2] ?? 'run', body: [] };
      else if (/^```(ts|typescript)\b/.test(line)) {
        console.error(`${relative(root, readme)}:${i + 1}: unknown example mode in "${line}"`);
        process.exit(2);
      }
      continue;
    }
    if (line.startsWith('```')) {
      if (!['run', 'check', 'fragment'].includes(block.mode)) {
        console.error(
          `${relative(root, readme)}:${block.start}: mode must be run, check or fragment, not ${block.mode}`,
        );
        process.exit(2);
      }
      if (block.mode !== 'fragment') {
        n++;
        const text = block.body.join('\n');
        const test = /from 'vitest'/.test(text);
        const file = `${name}-${n}${test ? '.test' : ''}.ts`;
        const header = `// Extracted from ${relative(root, readme)}:${block.start} (${block.mode}).\n`;
        // Each example is its own module (top-level await, no clashes between files).
        writeFileSync(
          join(dest, file),
          `${header}${text}\n${/^\s*(import|export)\s/m.test(text) ? '' : 'export {};\n'}`,
        );
        console.log(`${test ? 'test' : block.mode} ${file} ${relative(root, readme)}:${block.start}`);
        count++;
      }
      block = undefined;
      continue;
    }
    block.body.push(line);
  }
}
if (count === 0) {
  console.error('extract-readme-examples: no example found');
  process.exit(1);
}
