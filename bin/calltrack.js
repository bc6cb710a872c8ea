#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx's loader: no build step between
// `npm ci` and a working `calltrack` command.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
await runCli(process.argv);
