/**
 * The procedure catalogue's loader: the shipped file is valid against the API schema, and a
 * malformed one is refused with a message naming the entry at fault.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { DEFAULT_PROCEDURE_CATALOGUE_FILE } from '../../../lib/config';
import { bindProcedureCatalogue, loadProcedureCatalogue, parseProcedureCatalogue } from '../../../lib/procedures/catalogue';

const schema = buildSchema(readFileSync(join(__dirname, '../../../schema/api.graphql'), 'utf8'));

const entry = (code: string, fields: string[], extra = '') => `
  - code: "${code}"
    name: Đăng ký khai sinh
    legalBasis: [Luật Hộ tịch 2014]
    reads: [applicant]
${extra}    fields: [${fields.join(', ')}]`;
const catalogue = (...entries: string[]) => `version: "1"\nprocedures:${entries.join('')}\n`;

describe('procedure catalogue', () => {
  it('ships a valid starter catalogue: every procedure a commune handles most, each with its fields', () => {
    const shipped = loadProcedureCatalogue(DEFAULT_PROCEDURE_CATALOGUE_FILE, schema);
    expect(shipped.version).toBeTruthy();
    expect([...shipped.procedures.keys()]).toEqual([
      'local:birth-registration',
      'local:death-registration',
      'local:marriage-registration',
      'local:marital-status-confirmation',
      'local:permanent-residence-registration',
      'local:temporary-residence-registration',
      'local:first-land-use-certificate',
      'local:land-use-right-transfer',
      'local:health-insurance-card',
      'local:social-allowance',
    ]);
    // A birth registration reads the parents' identity and residence, not their land or insurance.
    const birth = shipped.get('local:birth-registration')!;
    expect(birth.fields.has('Citizen.fullName')).toBe(true);
    expect(birth.fields.has('Residence.address')).toBe(true); // Residence.* expanded
    expect(birth.fields.has('Citizen.landRights')).toBe(false);
    expect(birth.fields.has('Citizen.socialInsurance')).toBe(false);
    expect(shipped.readersOf('Citizen.landRights').map((p) => p.code)).toEqual([
      'local:permanent-residence-registration',
      'local:first-land-use-certificate',
      'local:land-use-right-transfer',
    ]);
  });

  it('names the entry whose field is not in the schema', () => {
    const parsed = parseProcedureCatalogue(
      catalogue(entry('local:a', ['Citizen.fullName']), entry('local:b', ['Citizen.fullName']), entry('local:c', ['Citizen.foo', 'Nope.*'])),
      'test.yaml',
    );
    expect(() => bindProcedureCatalogue(parsed, schema)).toThrow('procedures[2] (code "local:c"): field "Citizen.foo" is not a field of the schema');
    expect(() => bindProcedureCatalogue(parsed, schema)).toThrow('procedures[2] (code "local:c"): field "Nope.*": Nope is not a type of the schema');
  });

  it('refuses a malformed entry, naming it: bad field syntax, unknown whose-data, a national code without a source, a duplicate', () => {
    expect(() => parseProcedureCatalogue(catalogue(entry('local:a', ['fullName'])), 'test.yaml')).toThrow(
      /procedures\[0\] \(code "local:a"\): field "fullName": a field is written Type.field or Type.\*/,
    );
    expect(() => parseProcedureCatalogue(catalogue(entry('local:a', ['Citizen.fullName']).replace('[applicant]', '[neighbours]')), 'test.yaml')).toThrow(
      /procedures\[0\] \(code "local:a"\): reads\[0\]: whose data is one of/,
    );
    expect(() => parseProcedureCatalogue(catalogue(entry('1.000000', ['Citizen.fullName'])), 'test.yaml')).toThrow(
      /procedures\[0\] \(code "1.000000"\): source: a national portal code needs a source/,
    );
    expect(() => parseProcedureCatalogue(catalogue(entry('local:a', ['Citizen.fullName']), entry('local:a', ['Citizen.fullName'])), 'test.yaml')).toThrow(
      'procedures[1] (code "local:a"): the code is already used by procedures[0]',
    );
    expect(() => parseProcedureCatalogue('procedures: []', 'test.yaml')).toThrow(/version/);
    expect(() => parseProcedureCatalogue('version: [unclosed', 'test.yaml')).toThrow(/not valid YAML/);
  });

  it('accepts a national code that cites its source', () => {
    const parsed = parseProcedureCatalogue(catalogue(entry('1.000000', ['Citizen.*'], '    source: https://dichvucong.gov.vn/example\n')), 'test.yaml');
    expect(bindProcedureCatalogue(parsed, schema).get('1.000000')!.fields.has('Citizen.fullName')).toBe(true);
  });
});
