import type { CommuneRecord } from '../../../sources/catalogue/client';
import { KeptCatalogue } from '../../../sources/catalogue/kept-whole';

function commune(code: string, provinceCode = '24'): CommuneRecord {
  return { code, name: `Xã ${code}`, nameEn: `Commune ${code}`, kind: 'COMMUNE', provinceCode, provenance: { source: 'catalogue', producedAt: null, fetchedAt: '2026-12-06T00:00:00.000Z', cached: false, stale: false } };
}

describe('the catalogue kept whole', () => {
  let clock = 0;
  const now = () => clock;
  const kept: KeptCatalogue<CommuneRecord>[] = [];
  function keep(fetch: () => Promise<CommuneRecord[]>, onFailure?: (error: unknown) => void) {
    const catalogue = new KeptCatalogue({ ttlMs: 1000, fetch, now, onFailure });
    kept.push(catalogue);
    return catalogue;
  }
  beforeEach(() => (clock = 0));
  afterEach(() => kept.splice(0).forEach((catalogue) => catalogue.stop()));

  it('serves nothing before its first fetch', () => {
    expect(keep(async () => [commune('07210')]).current()).toBeUndefined();
  });

  it('serves a fetch until its TTL has passed, then nothing', async () => {
    const catalogue = keep(async () => [commune('07210'), commune('00004', '01')]);
    await catalogue.refresh();
    clock = 999;
    expect(catalogue.current()?.get('00004')?.provinceCode).toBe('01');
    clock = 1000;
    expect(catalogue.current()).toBeUndefined();
  });

  it('keeps serving the previous fetch when a refresh fails, until it expires', async () => {
    let fail = false;
    const catalogue = keep(async () => {
      if (fail) throw new Error('catalogue unreachable');
      return [commune('07210')];
    });
    await catalogue.refresh();
    fail = true;
    clock = 500;
    await expect(catalogue.refresh()).rejects.toThrow('catalogue unreachable');
    expect(catalogue.current()?.has('07210')).toBe(true);
    clock = 1000;
    expect(catalogue.current()).toBeUndefined();
  });

  it('replaces what it serves with each fetch: a commune a resolution removed is gone', async () => {
    let communes = [commune('07210'), commune('06970')];
    const catalogue = keep(async () => communes);
    await catalogue.refresh();
    communes = [commune('07210')];
    await catalogue.refresh();
    expect(catalogue.current()?.has('06970')).toBe(false);
    expect(catalogue.current()?.has('07210')).toBe(true);
  });

  it('drops what it kept when stopped, and a fetch finishing afterwards is not kept', async () => {
    let finish: (communes: CommuneRecord[]) => void = () => undefined;
    const catalogue = keep(() => new Promise((resolve) => (finish = resolve)));
    const refreshing = catalogue.refresh();
    catalogue.stop();
    finish([commune('07210')]);
    await refreshing;
    expect(catalogue.current()).toBeUndefined();
  });
});
