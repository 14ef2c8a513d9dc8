// The list of verbs. Each module exports `register(program)`; add one line per verb.
import type { Command } from 'commander';

export type Register = (program: Command) => void;

export const commands: Register[] = [];
