import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { cliHost, type CliHost } from './cli-host.ts';

type Register = (program: Command) => void;

/**
 * Each command module, with the commands it registers, in the order help lists them. A run
 * loads only the module of the command it names (with what that module imports: the server
 * only for `serve`, the deploy engine only for `deploy` and `resume`…); help, or a name that
 * is no command, loads them all, so that help and commander's "unknown command" see them all.
 */
const COMMAND_MODULES: ReadonlyArray<{ names: readonly string[]; load: () => Promise<Register> }> = [
  { names: ['deploy', 'resume'], load: async () => (await import('./deploy-command.ts')).registerDeployCommands },
  { names: ['targets'], load: async () => (await import('./targets-command.ts')).registerTargetsCommand },
  { names: ['deploys', 'versions'], load: async () => (await import('./list-commands.ts')).registerListCommands },
  { names: ['alias'], load: async () => (await import('./alias-commands.ts')).registerAliasCommands },
  { names: ['render'], load: async () => (await import('./render-command.ts')).registerRenderCommand },
  { names: ['diff'], load: async () => (await import('./diff-command.ts')).registerDiffCommand },
  { names: ['serve'], load: async () => (await import('./serve-command.ts')).registerServeCommand },
];

/** The command modules `argv` needs: none for `--version` alone, the named command's, else all. */
function commandModulesFor(argv: readonly string[]): typeof COMMAND_MODULES {
  // The program's own options (-V, -h and their long forms) take no value: the first other word is the command.
  const args = argv.slice(2);
  const name = args.find((arg) => !arg.startsWith('-'));
  if (name === undefined && args.some((arg) => arg === '-V' || arg === '--version')) return [];
  const named = COMMAND_MODULES.find((module) => name !== undefined && module.names.includes(name));
  return named ? [named] : COMMAND_MODULES;
}

/** Runs the `pressdrop` command line; resolves to the process exit code. `host`: what the launcher knows (bundled or not). */
export async function main(argv: readonly string[], host: CliHost = {}): Promise<number> {
  Object.assign(cliHost, host);
  const program = new Command('pressdrop')
    .description('Deploy folders to Press Cloud, Slideless or Cloudflare, and run a local Press Cloud.')
    .version(host.version ?? packageVersion(), '-V, --version', 'print the version and stop')
    // The program's own options only before the command: `render --version 3` is render's version, not ours.
    .enablePositionalOptions()
    .exitOverride();
  try {
    const registers = await Promise.all(commandModulesFor(argv).map((module) => module.load()));
    for (const register of registers) register(program);
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
