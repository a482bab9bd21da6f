/**
 * Corrupt bodies for the `malformedRate` fault: a 200 answer whose body a careful client must
 * reject. JSON comes truncated or with every value of the wrong type; XML comes cut off
 * mid-element; CSV comes with an unterminated quote and rows missing columns.
 */
export type BodyFormat = 'json' | 'xml' | 'csv';

export function corruptBody(format: BodyFormat, body: string): string {
  switch (format) {
    case 'json': {
      // A body with no scalar in it (`[]`) cannot have wrong types, so it is cut instead.
      const mistyped = JSON.stringify(wrongTypes(JSON.parse(body)));
      return Math.random() < 0.5 || mistyped === body ? truncate(body) : mistyped;
    }
    case 'xml':
      return `${truncate(body)}<ht:`;
    case 'csv': {
      const [headerLine, ...rows] = body.split('\r\n').filter(Boolean);
      const broken = rows.map((row) => row.split(',').slice(0, 4).join(','));
      return [headerLine, ...broken, '99999,"unterminated'].join('\r\n');
    }
  }
}

function truncate(body: string): string {
  return body.slice(0, Math.max(1, Math.floor(body.length / 2)));
}

/** Strings become numbers, numbers strings, booleans strings, arrays and objects keep their shape. */
function wrongTypes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(wrongTypes);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wrongTypes(v)]));
  if (typeof value === 'string') return value.length;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value;
}
