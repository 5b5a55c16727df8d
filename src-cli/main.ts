import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { registerAliasCommands } from './alias-commands.ts';
import { registerDeployCommands } from './deploy-command.ts';
import { registerDiffCommand } from './diff-command.ts';
import { registerListCommands } from './list-commands.ts';
import { registerRenderCommand } from './render-command.ts';
import { registerServeCommand } from './serve-command.ts';
import { registerTargetsCommand } from './targets-command.ts';

/** Runs the `pressdrop` command line; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('pressdrop')
    .description('Deploy folders to Press Cloud, Slideless or Cloudflare, and run a local Press Cloud.')
    .version(packageVersion(), '-V, --version', 'print the version and stop')
    // The program's own options only before the command: `render --version 3` is render's version, not ours.
    .enablePositionalOptions()
    .exitOverride();
  registerDeployCommands(program);
  registerTargetsCommand(program);
  registerListCommands(program);
  registerAliasCommands(program);
  registerRenderCommand(program);
  registerDiffCommand(program);
  registerServeCommand(program);
  try {
    await program.parseAsync(argv);
    // A command that ends without an error may still have set its code (Ctrl-C: 130); bin.js assigns ours over it.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`pressdrop: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** PressDrop's version, from its package.json (read only when a command line is parsed: one small file). */
function packageVersion(): string {
  const manifest = new URL('../package.json', import.meta.url);
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}
