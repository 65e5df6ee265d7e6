import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { LocalRuntimeError } from './errors';

/** A JSON document kept in a file (mode 0600: it may hold secrets and keys) or only in memory. */
export interface JsonStore<T> {
  read(): T;
  write(value: T): void;
}

export function jsonStore<T>(file: string | undefined, schema: z.ZodType<T>, initial: T): JsonStore<T> {
  let current = file && existsSync(file) ? load(file, schema) : initial;
  return {
    read: () => current,
    write(value) {
      current = value;
      if (!file) return;
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      // Write then rename so a crash never leaves half a file behind.
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(value, null, 2), { mode: 0o600 });
      chmodSync(temporary, 0o600);
      renameSync(temporary, file);
    },
  };
}

function load<T>(file: string, schema: z.ZodType<T>): T {
  try {
    return schema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (cause) {
    throw new LocalRuntimeError(`Cannot read ${file}; fix or delete it`, { cause });
  }
}
