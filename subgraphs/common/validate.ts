/** Argument checks shared by the subgraphs: bad input is refused before any source is called. */
import { personalIdProblem } from '../../lib/personal-id';
import { badUserInput } from './errors';

export function requirePersonalId(value: unknown, argument = 'personalId'): string {
  const problem = personalIdProblem(value);
  if (problem) throw badUserInput(`Invalid ${argument}: ${problem}`, argument);
  return value as string;
}

export function requireCommuneCode(value: unknown, argument = 'code'): string {
  if (typeof value !== 'string' || !/^\d{5}$/.test(value)) {
    throw badUserInput(`Invalid ${argument}: a commune code has exactly 5 digits`, argument);
  }
  return value;
}

export function requireProvinceCode(value: unknown, argument = 'code'): string {
  if (typeof value !== 'string' || !/^\d{2}$/.test(value)) {
    throw badUserInput(`Invalid ${argument}: a province code has exactly 2 digits`, argument);
  }
  return value;
}

export function requireIntInRange(value: number, min: number, max: number, argument: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badUserInput(`Invalid ${argument}: expected a whole number from ${min} to ${max}`, argument);
  }
  return value;
}
