/**
 * The world over the official catalogue (../shared/data/vn-admin-units.json beside the repo), at
 * the default size. The file is an input the project does not copy; without it this test fails
 * and says where it looked.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../../lib/config';
import { generateWorld, loadCatalogue } from '../../../mocks/world';

const CATALOGUE = resolve(__dirname, '../../../../shared/data/vn-admin-units.json');

function requireCatalogue(): string {
  if (!existsSync(CATALOGUE)) {
    throw new Error(`The official catalogue is missing: expected it at ${CATALOGUE} (shared/data beside the repository).`);
  }
  return CATALOGUE;
}

describe('the official catalogue', () => {
  it('is read with its 34 provinces and 3,321 communes', () => {
    const catalogue = loadCatalogue(requireCatalogue());
    expect(catalogue.origin).toBe('file');
    expect(catalogue.provinces).toHaveLength(34);
    expect(catalogue.communes).toHaveLength(3321);
    expect(catalogue.provinceByCode.get('24')).toMatchObject({ Name: 'Bắc Ninh', AdministrativeUnitShortName: 'Tỉnh' });
    expect(catalogue.provinceByCode.get('24')!.Wards).toHaveLength(99);
    expect(catalogue.communeByCode.get('07210')).toEqual({
      Code: '07210',
      Name: 'Bắc Giang',
      NameEn: 'Bac Giang',
      FullName: 'Phường Bắc Giang',
      FullNameEn: 'Bac Giang Ward',
      ProvinceCode: '24',
      AdministrativeUnitShortName: 'Phường',
    });
  });

  // How fast it is built is `npm run bench:world`'s to say, not a test's on a shared machine.
  it('carries the default world (100,000 citizens) over nearly every commune', () => {
    const world = generateWorld({ size: 100_000, seed: 'vn-2026', inconsistencyRate: 0.02, adminUnitsFile: requireCatalogue() });
    expect(world.citizens.size).toBe(100_000);
    expect(world.index.residentsByCommune.size).toBeGreaterThan(3300);
    expect(world.budgets.size).toBe(34 + 3321);
    // Born all over the country, but mostly where they live.
    const provinces = new Set([...world.citizens.values()].map((c) => c.birthProvinceCode));
    expect(provinces.size).toBe(34);
  });

  it('is refused with a clear message when the file is missing or not the catalogue', () => {
    expect(() => loadCatalogue('/nonexistent/units.json')).toThrow(ConfigError);
    expect(() => loadCatalogue('/nonexistent/units.json')).toThrow(/ADMIN_UNITS_FILE="\/nonexistent\/units.json": cannot read the file \(ENOENT\)/);
    const bogus = join(tmpdir(), `units-${process.pid}.json`);
    writeFileSync(bogus, JSON.stringify([{ Code: '1', Name: 'x' }]));
    expect(() => loadCatalogue(bogus)).toThrow(/not the official catalogue's shape/);
    writeFileSync(bogus, '{not json');
    expect(() => loadCatalogue(bogus)).toThrow(/not valid JSON/);
  });
});
