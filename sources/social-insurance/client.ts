/**
 * Client for the social-insurance source (BHXH): JSON REST, snake_case, one person per call,
 * `yyyyMMdd` dates, key in `X-BHXH-Key`. Answers are checked against their wire schema.
 */
import { fromCompactDate } from '../kit/dates';
import { Provenance, stampProvenance } from '../kit/provenance';
import { SourceClient } from '../kit/source-client';
import { code, textAs, z } from '../kit/wire';

export type InsuranceStatus = 'ACTIVE' | 'SUSPENDED' | 'STOPPED';
export type ParticipationType = 'COMPULSORY' | 'VOLUNTARY' | 'HEALTH_ONLY';

export interface HealthInsuranceCardRecord {
  cardNumber: string;
  validFrom: string;
  validTo: string;
  registeredFacility: string;
}

export interface InsuredAddressRecord {
  communeCode: string;
  address: string;
}

export interface InsuranceRecord {
  personalId: string;
  insuranceCode: string;
  status: InsuranceStatus;
  participationType: ParticipationType;
  since: string;
  healthInsuranceCard: HealthInsuranceCardRecord | null;
  /** The contact address as BHXH holds it: its commune code may be one from before 1 July 2025. */
  address: InsuredAddressRecord | null;
  updatedAt: string;
  provenance: Provenance;
}

// Maps, not object literals: a wire value such as "constructor" must not match a prototype member.
const STATUS = new Map<string, InsuranceStatus>([
  ['DANG_THAM_GIA', 'ACTIVE'],
  ['TAM_DUNG', 'SUSPENDED'],
  ['DUNG_THAM_GIA', 'STOPPED'],
]);
const PARTICIPATION = new Map<string, ParticipationType>([
  ['BAT_BUOC', 'COMPULSORY'],
  ['TU_NGUYEN', 'VOLUNTARY'],
  ['CHI_BHYT', 'HEALTH_ONLY'],
]);

const compactDate = textAs(fromCompactDate);

const WIRE_PARTICIPANT = z.object({
  ma_so_bhxh: z.string(),
  so_dinh_danh: z.string(),
  trang_thai: code(STATUS),
  loai_hinh: code(PARTICIPATION),
  ngay_bat_dau: compactDate,
  // Checked on its own below, so that a bad card is reported as one.
  the_bhyt: z.unknown().optional(),
  dia_chi: z.object({ ma_xa: z.string().regex(/^\d{5}$/), chi_tiet: z.string() }).nullish(),
  ngay_cap_nhat: z.unknown().optional(),
});

const WIRE_CARD = z.object({
  ma_the: z.string(),
  gia_tri_tu: compactDate,
  gia_tri_den: compactDate,
  noi_dang_ky_kcb: z.string(),
});

export class SocialInsuranceClient extends SourceClient {
  readonly source = 'social-insurance' as const;

  protected authHeaders(): Record<string, string> {
    return { 'x-bhxh-key': this.apiKey };
  }

  /** The person's participation, or null when BHXH has no record of them. */
  async getParticipant(personalId: string): Promise<InsuranceRecord | null> {
    const response = await this.send({ path: `/bhxh/api/v1/nguoi-tham-gia/${encodeURIComponent(personalId)}` });
    if (response.status === 404) return null;
    return this.map(this.parseJson<unknown>(response), personalId);
  }

  private map(body: unknown, personalId: string): InsuranceRecord {
    const wire = this.check(WIRE_PARTICIPANT, body, 'a participant record with missing or unexpected fields');
    if (wire.so_dinh_danh !== personalId) throw this.badResponse('a participant record with missing or unexpected fields');
    const card = wire.the_bhyt ? this.check(WIRE_CARD, wire.the_bhyt, 'a health-insurance card with missing or unexpected fields') : null;
    return {
      personalId,
      insuranceCode: wire.ma_so_bhxh,
      status: wire.trang_thai,
      participationType: wire.loai_hinh,
      since: wire.ngay_bat_dau,
      healthInsuranceCard: card && { cardNumber: card.ma_the, validFrom: card.gia_tri_tu, validTo: card.gia_tri_den, registeredFacility: card.noi_dang_ky_kcb },
      address: wire.dia_chi ? { communeCode: wire.dia_chi.ma_xa, address: wire.dia_chi.chi_tiet } : null,
      updatedAt: String(wire.ngay_cap_nhat ?? ''),
      provenance: stampProvenance(this.source, typeof wire.ngay_cap_nhat === 'string' && wire.ngay_cap_nhat !== '' ? wire.ngay_cap_nhat : null),
    };
  }
}
