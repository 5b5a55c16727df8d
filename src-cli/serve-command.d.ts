import { type Command } from 'commander';
/** `pressdrop serve`: a local Press Cloud on loopback, until SIGINT or SIGTERM. */
export declare function registerServeCommand(program: Command): void;
