/** Date formats the sources use, converted to the API's ISO `YYYY-MM-DD`. */

/** `dd/MM/yyyy` → `YYYY-MM-DD`; null when the text is not such a date. */
export function fromDayMonthYear(text: string): string | null {
  const match = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text);
  return match ? `${match[3]}-${match[2]}-${match[1]}` : null;
}

/** `yyyyMMdd` → `YYYY-MM-DD`; null when the text is not such a date. */
export function fromCompactDate(text: string): string | null {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  return match ? `${match[1]}-${match[2]}-${match[3]}` : null;
}

export function isIsoDate(text: unknown): text is string {
  return typeof text === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(text);
}

/** Today's date in Vietnam (UTC+7), as `YYYY-MM-DD`. */
export function todayInVietnam(now: Date = new Date()): string {
  return new Date(now.getTime() + 7 * 3600_000).toISOString().slice(0, 10);
}
