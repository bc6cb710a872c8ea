/**
 * Runs several `calltrack` command lines in ONE child process (tsx's start-up costs seconds on a
 * loaded machine): each through the real `runCli`, with stdout, stderr and the exit code
 * captured. Patching process.stdout is safe here because this process is not a test runner.
 * Usage: node --import tsx test/support/cli-batch.ts '<json array of argv arrays>'
 */
import { runCli } from '../../src/cli/main.js';

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

const batches = JSON.parse(process.argv[2] ?? '[]') as string[][];
const results: CliResult[] = [];
const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
for (const argv of batches) {
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  process.exitCode = 0;
  try {
    await runCli(['node', 'calltrack', ...argv]);
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  results.push({ stdout, stderr, code: Number(process.exitCode ?? 0) });
}
process.exitCode = 0;
write.out(JSON.stringify(results));
