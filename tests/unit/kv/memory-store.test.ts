/** The in-process store holds at most its size in keys and values, whoever chooses them. */
import { MemoryStore } from '../../../lib/kv';

describe('MemoryStore', () => {
  it('evicts the least recently used entries once their keys and values pass its size, not only its count', async () => {
    const store = new MemoryStore(10_000, 10_000);
    const answer = 'x'.repeat(3_000);
    for (let i = 0; i < 10; i++) await store.set(`k${i}`, answer, 60_000);
    // Ten answers of 3,000 units do not fit in 10,000: the three newest stay.
    expect(store.size).toBe(3);
    await expect(store.getMany(['k0', 'k7', 'k8', 'k9'])).resolves.toEqual([undefined, answer, answer, answer]);
  });

  it('keeps nothing larger than the whole store, and still holds the rest', async () => {
    const store = new MemoryStore(100, 1_000);
    await store.set('small', 'a', 60_000);
    await store.set('huge', 'y'.repeat(5_000), 60_000);
    await expect(store.get('huge')).resolves.toBeUndefined();
    await expect(store.get('small')).resolves.toBe('a');
  });
});
