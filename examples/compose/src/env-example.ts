#!/usr/bin/env node
// env-example: renders .env.example from the role schemas and the deployment's own variables.
//   env-example --write   rewrite .env.example
//   env-example --check   exit 1 when .env.example is out of date
//   env-example           print it
import { readFileSync, writeFileSync } from 'node:fs';
import { ENV_EXAMPLE, renderEnvExample } from './deployment-variables.js';

const command = process.argv[2];
if (command === '--write') {
  writeFileSync(ENV_EXAMPLE, renderEnvExample());
  process.stdout.write(`wrote ${ENV_EXAMPLE}\n`);
} else if (command === '--check') {
  if (readFileSync(ENV_EXAMPLE, 'utf8') !== renderEnvExample()) {
    process.stderr.write(`${ENV_EXAMPLE} is out of date: run env-example --write\n`);
    process.exit(1);
  }
  process.stdout.write(`${ENV_EXAMPLE} is up to date\n`);
} else {
  process.stdout.write(renderEnvExample());
}
