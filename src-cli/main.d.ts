/** Runs the `pressdrop` command line; resolves to the process exit code. */
export declare function main(argv: readonly string[]): Promise<number>;
