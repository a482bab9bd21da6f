/**
 * The playground's saved example operations: one `.graphql` file per example in examples/, with
 * its variables beside it in `<same name>.variables.json`, opened as tabs in file-name order
 * (examples/README.md has the convention).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OperationDefinitionNode, parse } from 'graphql';

export const EXAMPLES_DIR = join(__dirname, 'examples');

export interface Example {
  /** File name without `.graphql`, e.g. `01-tthc-marital-status`. */
  name: string;
  /** The operation's name: the tab's title. */
  operationName: string;
  /** The file as written, comments included: they tell the reader who asks this and why. */
  query: string;
  variables: Record<string, unknown>;
  /**
   * The catalogued procedure the example reads for, from a `# Procedure: <code>` line: its tab
   * sends it (`x-procedure`) with a sample dossier (`x-dossier`).
   */
  procedure?: string;
}

/** The sample dossier number the playground's procedure tabs send. */
export const SAMPLE_DOSSIER = 'HS-2026-000123';

export function loadExamples(dir: string = EXAMPLES_DIR): Example[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -'.graphql'.length);
      const query = readFileSync(join(dir, file), 'utf8');
      let operations: OperationDefinitionNode[];
      try {
        operations = parse(query).definitions.filter((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition');
      } catch (error) {
        throw new Error(`playground example ${file}: ${(error as Error).message}`);
      }
      if (operations.length !== 1 || !operations[0].name) throw new Error(`playground example ${file}: needs exactly one named operation`);
      const variablesFile = join(dir, `${name}.variables.json`);
      let variables: Record<string, unknown> = {};
      if (existsSync(variablesFile)) {
        try {
          variables = JSON.parse(readFileSync(variablesFile, 'utf8')) as Record<string, unknown>;
        } catch (error) {
          throw new Error(`playground example ${name}.variables.json: ${(error as Error).message}`);
        }
      }
      const procedure = /^#\s*Procedure:\s*(\S+)\s*$/m.exec(query)?.[1];
      return { name, operationName: operations[0].name.value, query, variables, ...(procedure ? { procedure } : {}) };
    });
}
