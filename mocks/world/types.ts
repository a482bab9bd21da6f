/**
 * The synthetic world: what every mock source knows, in one typed model. Values use the
 * GraphQL schema's vocabulary (English enums, `YYYY-MM-DD` dates); each source translates them
 * into its own wire format. Citizens hold the truth; where a population ↔ civil-status
 * disagreement is seeded, `populationStale` holds the population database's stale values.
 */
import type { Gender } from '../../lib/personal-id';
import type { Catalogue } from './catalogue';
import type { IsoDate, Timestamp } from './dates';

export type { Gender } from '../../lib/personal-id';
export type { IsoDate, Timestamp } from './dates';

export type MaritalStatus = 'SINGLE' | 'MARRIED' | 'DIVORCED' | 'WIDOWED';
export type LifeStatus = 'LIVING' | 'DECEASED';
export type RelationToHead = 'HEAD' | 'SPOUSE' | 'CHILD' | 'PARENT' | 'GRANDCHILD' | 'SIBLING' | 'OTHER';
export type MarriageStatus = 'ACTIVE' | 'DIVORCED' | 'ENDED_BY_DEATH';

export interface BirthRegistration {
  /** Set when `registeredAt` is an old code (registered before 1 July 2025): the commune it lies in today. */
  registeredAtCurrent?: string;
  /** `KS-<commune>-<year>-<6 digits>`. */
  registrationNumber: string;
  registeredOn: IsoDate;
  /** Commune code where the birth was registered; its province is digits 1–3 of the personal ID. */
  registeredAt: string;
  fatherName: string | null;
  motherName: string | null;
}

export interface Marriage {
  /** Set when `registeredAt` is an old code (registered before 1 July 2025): the commune it lies in today. */
  registeredAtCurrent?: string;
  /** `KH-<commune>-<year>-<6 digits>`; the same number on both spouses' records. */
  registrationNumber: string;
  registeredOn: IsoDate;
  registeredAt: string;
  /** The spouse's personal ID when the spouse is in the world, else null (name only). */
  spouseId: string | null;
  spouseName: string;
  status: MarriageStatus;
  /** Date of divorce or of the spouse's death; null while in force. */
  endedOn: IsoDate | null;
}

export interface DeathRegistration {
  /** Set when `registeredAt` is an old code (registered before 1 July 2025): the commune it lies in today. */
  registeredAtCurrent?: string;
  /** `KT-<commune>-<year>-<6 digits>`. */
  registrationNumber: string;
  dateOfDeath: IsoDate;
  registeredOn: IsoDate;
  registeredAt: string;
}

/** Values the population database holds where it disagrees with civil status. */
export interface PopulationStale {
  fullName?: string;
  dateOfBirth?: IsoDate;
  /** Only where the seeded disagreement is PERSONAL_ID_MISMATCH: the ID's digit 4 says otherwise. */
  gender?: Gender;
  maritalStatus?: MaritalStatus;
  lifeStatus?: LifeStatus;
}

export interface Citizen {
  personalId: string;
  fullName: string;
  dateOfBirth: IsoDate;
  gender: Gender;
  /** 2-digit catalogue code of the province where the birth was registered. */
  birthProvinceCode: string;
  /** Permanent residence (population). For the deceased: the last one. */
  communeCode: string;
  /** The old code population still stores for the residence (not yet updated); absent: `communeCode`. */
  recordedCommuneCode?: string;
  address: string;
  /** Null once population has recorded the death (the registration is struck off). */
  householdId: string | null;
  relationToHead: RelationToHead | null;
  /** The civil-status truth. The deceased keep the status they had when they died. */
  maritalStatus: MaritalStatus;
  birth: BirthRegistration;
  /** Oldest first. */
  marriages: Marriage[];
  death: DeathRegistration | null;
  populationStale: PopulationStale | null;
  updatedAt: { population: Timestamp; civilStatus: Timestamp };
}

export interface HouseholdMember {
  personalId: string;
  relationToHead: RelationToHead;
}

export interface Household {
  /** `HK` + 7 digits. */
  householdId: string;
  communeCode: string;
  address: string;
  headId: string;
  /**
   * Head first, as the population database lists them. A seeded HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS
   * adds, last, someone registered in another household (whose record names that one).
   */
  members: HouseholdMember[];
  updatedAt: Timestamp;
}

export type LandUseCode = 'ONT' | 'ODT' | 'LUC' | 'CLN' | 'BHK' | 'NTS' | 'RSX' | 'TMD';

export interface LandHolder {
  personalId: string;
  /** Shares of one parcel sum to 1. */
  share: number;
  /** `CS 123456`; co-holders share one certificate. */
  certificateNo: string;
  certificateIssuedOn: IsoDate;
}

export interface LandParcel {
  /** `TD-<commune>-<map sheet, 3 digits>-<parcel number, 5 digits>`. */
  parcelId: string;
  /** Today's commune where the land lies. */
  communeCode: string;
  /** The old commune's code the cadastre still records for the parcel; absent: `communeCode`. */
  recordedCommuneCode?: string;
  mapSheetNo: number;
  parcelNo: number;
  areaM2: number;
  landUseCode: LandUseCode;
  address: string;
  holders: LandHolder[];
  updatedAt: Timestamp;
}

export type InsuranceStatus = 'ACTIVE' | 'SUSPENDED' | 'STOPPED';
export type ParticipationType = 'COMPULSORY' | 'VOLUNTARY' | 'HEALTH_ONLY';

export interface HealthInsuranceCard {
  /** 15 characters: object code (2 letters), benefit level, province code, insurance code. */
  cardNumber: string;
  validFrom: IsoDate;
  validTo: IsoDate;
  registeredFacility: string;
}

export interface InsuranceRecord {
  personalId: string;
  /** 10 digits: residence province code + 8. */
  insuranceCode: string;
  status: InsuranceStatus;
  participationType: ParticipationType;
  since: IsoDate;
  healthCard: HealthInsuranceCard | null;
  /** The contact address BHXH holds: today's commune, as enrolled. */
  communeCode: string;
  address: string;
  /** The old commune's code BHXH still stores for the address (not yet updated); absent: `communeCode`. */
  recordedCommuneCode?: string;
  updatedAt: Timestamp;
}

export type BudgetSection = 'REVENUE' | 'EXPENDITURE';

export interface BudgetLine {
  section: BudgetSection;
  itemCode: string;
  itemName: string;
  /** Whole đồng. */
  estimateVnd: number;
  actualVnd: number;
}

export type InconsistencyKind =
  | 'DEATH_NOT_IN_POPULATION'
  | 'MARITAL_STATUS_DIFFERS'
  | 'NAME_DIFFERS'
  | 'BIRTH_DATE_DIFFERS'
  | 'PERSONAL_ID_MISMATCH'
  | 'HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS';
export const INCONSISTENCY_KINDS: readonly InconsistencyKind[] = [
  'DEATH_NOT_IN_POPULATION',
  'MARITAL_STATUS_DIFFERS',
  'NAME_DIFFERS',
  'BIRTH_DATE_DIFFERS',
  'PERSONAL_ID_MISMATCH',
  'HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS',
];

export interface Inconsistency {
  personalId: string;
  kind: InconsistencyKind;
  /**
   * The field as the GraphQL schema names it: `lifeStatus`, `maritalStatus`, `fullName`,
   * `dateOfBirth`, `gender` (PERSONAL_ID_MISMATCH: the one the ID's digits contradict) or
   * `householdId` (HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS).
   */
  field: 'lifeStatus' | 'maritalStatus' | 'fullName' | 'dateOfBirth' | 'gender' | 'householdId';
  /** HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS: the second household that lists the person. */
  populationValue: string;
  /** The legal record's value; null for HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS (civil status keeps no household book). */
  civilStatusValue: string | null;
}

export interface WorldOptions {
  size: number;
  seed: string;
  adminUnitsFile?: string;
  /** The catalogue before 1 July 2025 (`vn-admin-units-pre-2025.csv`). */
  pre2025UnitsFile?: string;
  /** The conversion table between old and new communes (`vn-admin-units-2025-conversion.csv`). */
  conversionFile?: string;
  inconsistencyRate: number;
  /** The world's "today": the newest date any record carries. */
  asOf?: IsoDate;
}

export interface World {
  seed: string;
  size: number;
  asOf: IsoDate;
  inconsistencyRate: number;
  catalogue: Catalogue;
  citizens: Map<string, Citizen>;
  households: Map<string, Household>;
  parcels: Map<string, LandParcel>;
  /** By personal ID; absent for people BHXH has never enrolled. */
  insurance: Map<string, InsuranceRecord>;
  /** By unit code (5-digit commune or 2-digit province), then fiscal year (2025, 2026). */
  budgets: Map<string, Map<number, BudgetLine[]>>;
  inconsistencies: Inconsistency[];
  index: WorldIndex;
}

export interface WorldIndex {
  /** Personal IDs of the people population lists as living residents, sorted. */
  residentsByCommune: Map<string, string[]>;
  householdsByCommune: Map<string, string[]>;
  /** Parcel IDs by holder, sorted. */
  parcelsByOwner: Map<string, string[]>;
  inconsistenciesByCitizen: Map<string, Inconsistency[]>;
}
