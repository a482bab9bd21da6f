/**
 * The province's procedure catalogue (danh mục thủ tục): which administrative procedures may
 * read personal data through the gateway, on what legal basis, about whom, and which fields of
 * the schema each one needs. Law 91/2025/QH15 allows processing only for a stated purpose and
 * only the data that purpose needs; this file is where a province states both.
 *
 * The catalogue is a YAML (or JSON) file the province edits (PROCEDURE_CATALOGUE_FILE, default
 * config/procedures/catalogue.yaml). It is checked in two steps when the gateway starts: its
 * shape (parseProcedureCatalogue), then every field it names against the schema the gateway
 * serves (bindProcedureCatalogue). A mistake stops the start with a message naming the entry.
 */
import { readFileSync } from 'node:fs';
import { GraphQLSchema, isObjectType } from 'graphql';
import YAML from 'yaml';
import { z } from 'zod';

/** Whose data a procedure may read (declared; see the README for what is enforced). */
export const WHOSE_DATA = ['applicant', 'deceased', 'family-members', 'household-members', 'parcel-owners'] as const;
export type WhoseData = (typeof WHOSE_DATA)[number];

/** A code of the national public service portal (e.g. 1.001193), or a province's own `local:…` identifier. */
const NATIONAL_CODE = /^\d\.\d{6}$/;
const LOCAL_CODE = /^local:[a-z0-9][a-z0-9-]{0,62}$/;
/** `Type.field` or `Type.*`, in the schema's own names. */
const FIELD_PATTERN = /^[A-Z][A-Za-z0-9_]*\.([a-z_][A-Za-z0-9_]*|\*)$/;
/** A dossier number as TTHC systems write it (e.g. `HS-2026-000123`, `000.00.01.H29-260310-0420`). */
export const DOSSIER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$/;

export function isProcedureCode(code: string): boolean {
  return NATIONAL_CODE.test(code) || LOCAL_CODE.test(code);
}

const entrySchema = z
  .object({
    code: z.string().refine(isProcedureCode, 'a code is a national portal code (1.001193) or a local identifier (local:birth-registration, lower-case letters, digits and dashes)'),
    name: z.string().trim().min(3, 'name the procedure (in Vietnamese)'),
    /** Where a national code is confirmed: a URL or a document. Required for national codes. */
    source: z.string().trim().min(5).optional(),
    legalBasis: z.array(z.string().trim().min(3)).min(1, 'give at least one legal basis (law, decree, circular)'),
    reads: z.array(z.enum(WHOSE_DATA, { message: `whose data is one of: ${WHOSE_DATA.join(', ')}` })).min(1, 'say whose data the procedure reads'),
    fields: z
      .array(z.string().regex(FIELD_PATTERN, 'a field is written Type.field or Type.* (e.g. Citizen.fullName, CivilStatus.*)'))
      .min(1, 'list the fields the procedure reads'),
  })
  .strict()
  .superRefine((entry, context) => {
    if (NATIONAL_CODE.test(entry.code) && !entry.source) {
      context.addIssue({
        code: 'custom',
        path: ['source'],
        message: 'a national portal code needs a source (the portal page or the decision that publishes it); without one, use a local: identifier',
      });
    }
  });

const catalogueSchema = z
  .object({
    version: z.union([z.string().trim().min(1), z.number()]).transform(String),
    procedures: z.array(entrySchema).min(1, 'the catalogue lists no procedure'),
  })
  .strict();

export type ProcedureEntry = z.infer<typeof entrySchema>;

/** The catalogue as written, its shape checked. */
export interface ParsedProcedureCatalogue {
  file: string;
  version: string;
  procedures: ProcedureEntry[];
}

export interface Procedure {
  code: string;
  name: string;
  legalBasis: readonly string[];
  reads: readonly WhoseData[];
  /** Every `Type.field` the procedure may read (`Type.*` expanded against the schema). */
  fields: ReadonlySet<string>;
}

export interface ProcedureCatalogue {
  file: string;
  version: string;
  procedures: ReadonlyMap<string, Procedure>;
  get(code: string): Procedure | undefined;
  /** The procedures that may read `Type.field`, in catalogue order. */
  readersOf(coordinate: string): Procedure[];
}

export class ProcedureCatalogueError extends Error {
  constructor(file: string, problems: string[]) {
    super(`Procedure catalogue ${file} (PROCEDURE_CATALOGUE_FILE) is not valid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ProcedureCatalogueError';
  }
}

/** `procedures[3] (code "1.000656")`: how a message names an entry. */
function entryLabel(raw: unknown, index: number): string {
  const entry = (raw as { procedures?: unknown[] } | null)?.procedures?.[index] as { code?: unknown } | undefined;
  return typeof entry?.code === 'string' ? `procedures[${index}] (code "${entry.code}")` : `procedures[${index}]`;
}

function describeIssue(raw: unknown, issue: z.core.$ZodIssue): string {
  const [top, index, key, item] = issue.path;
  if (top === 'procedures' && typeof index === 'number') {
    const where = entryLabel(raw, index);
    if (key === 'fields' && typeof item === 'number') {
      const value = (raw as { procedures: { fields: unknown[] }[] }).procedures[index].fields[item];
      return `${where}: field ${JSON.stringify(value)}: ${issue.message}`;
    }
    return key === undefined ? `${where}: ${issue.message}` : `${where}: ${String(key)}${item === undefined ? '' : `[${String(item)}]`}: ${issue.message}`;
  }
  return issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message;
}

/** Checks the catalogue's shape (YAML or JSON text); throws ProcedureCatalogueError naming each entry at fault. */
export function parseProcedureCatalogue(text: string, file: string): ParsedProcedureCatalogue {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (error) {
    throw new ProcedureCatalogueError(file, [`it is not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  const parsed = catalogueSchema.safeParse(raw);
  if (!parsed.success) throw new ProcedureCatalogueError(file, parsed.error.issues.map((issue) => describeIssue(raw, issue)));
  const problems: string[] = [];
  const seen = new Map<string, number>();
  parsed.data.procedures.forEach((entry, index) => {
    const first = seen.get(entry.code);
    if (first !== undefined) problems.push(`${entryLabel(raw, index)}: the code is already used by procedures[${first}]`);
    else seen.set(entry.code, index);
  });
  if (problems.length > 0) throw new ProcedureCatalogueError(file, problems);
  return { file, version: parsed.data.version, procedures: parsed.data.procedures };
}

/**
 * Checks every field the catalogue names against the schema the gateway serves (the composed API
 * schema) and expands `Type.*`; throws ProcedureCatalogueError naming each entry at fault.
 */
export function bindProcedureCatalogue(parsed: ParsedProcedureCatalogue, schema: GraphQLSchema): ProcedureCatalogue {
  const problems: string[] = [];
  const procedures = new Map<string, Procedure>();
  parsed.procedures.forEach((entry, index) => {
    const where = `procedures[${index}] (code "${entry.code}")`;
    const fields = new Set<string>();
    for (const pattern of entry.fields) {
      const [typeName, fieldName] = pattern.split('.');
      const type = schema.getType(typeName);
      if (!type) {
        problems.push(`${where}: field "${pattern}": ${typeName} is not a type of the schema`);
        continue;
      }
      if (!isObjectType(type)) {
        problems.push(`${where}: field "${pattern}": ${typeName} is not an object type (it has no fields)`);
        continue;
      }
      const typeFields = type.getFields();
      if (fieldName === '*') {
        for (const name of Object.keys(typeFields)) fields.add(`${typeName}.${name}`);
      } else if (typeFields[fieldName]) {
        fields.add(pattern);
      } else {
        problems.push(`${where}: field "${pattern}" is not a field of the schema`);
      }
    }
    procedures.set(entry.code, { code: entry.code, name: entry.name, legalBasis: entry.legalBasis, reads: entry.reads, fields });
  });
  if (problems.length > 0) throw new ProcedureCatalogueError(parsed.file, problems);
  const readers = new Map<string, Procedure[]>();
  for (const procedure of procedures.values()) {
    for (const coordinate of procedure.fields) readers.set(coordinate, [...(readers.get(coordinate) ?? []), procedure]);
  }
  return {
    file: parsed.file,
    version: parsed.version,
    procedures,
    get: (code) => procedures.get(code),
    readersOf: (coordinate) => readers.get(coordinate) ?? [],
  };
}

/** Reads and checks the file's shape (the schema check follows once the schema is loaded). */
export function readProcedureCatalogue(file: string): ParsedProcedureCatalogue {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ProcedureCatalogueError(file, [`it cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
  return parseProcedureCatalogue(text, file);
}

/** Reads, checks and binds the catalogue against a schema in one step (tests, tools). */
export function loadProcedureCatalogue(file: string, schema: GraphQLSchema): ProcedureCatalogue {
  return bindProcedureCatalogue(readProcedureCatalogue(file), schema);
}
