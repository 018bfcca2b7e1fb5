/** A CLI Output that keeps what a command printed, for running commands in-process. */
import type { Output } from '../../src/cli/output.js';

export function capture(): Output & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', isTTY: false, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}
