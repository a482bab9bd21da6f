/**
 * Client for the social-insurance source (BHXH): JSON REST, snake_case, one person per call,
 * `yyyyMMdd` dates, key in `X-BHXH-Key`.
 */
import { fromCompactDate } from '../kit/dates';
import { Provenance, stampProvenance } from '../kit/provenance';
import { SourceClient } from '../kit/source-client';

export type InsuranceStatus = 'ACTIVE' | 'SUSPENDED' | 'STOPPED';
export type ParticipationType = 'COMPULSORY' | 'VOLUNTARY' | 'HEALTH_ONLY';

export interface HealthInsuranceCardRecord {
  cardNumber: string;
  validFrom: string;
  validTo: string;
  registeredFacility: string;
}

export interface InsuranceRecord {
  personalId: string;
  insuranceCode: string;
  status: InsuranceStatus;
  participationType: ParticipationType;
  since: string;
  healthInsuranceCard: HealthInsuranceCardRecord | null;
  updatedAt: string;
  provenance: Provenance;
}

// Maps, not object literals: a wire value such as "constructor" must not match a prototype member.
const STATUS = new Map<unknown, InsuranceStatus>([
  ['DANG_THAM_GIA', 'ACTIVE'],
  ['TAM_DUNG', 'SUSPENDED'],
  ['DUNG_THAM_GIA', 'STOPPED'],
]);
const PARTICIPATION = new Map<unknown, ParticipationType>([
  ['BAT_BUOC', 'COMPULSORY'],
  ['TU_NGUYEN', 'VOLUNTARY'],
  ['CHI_BHYT', 'HEALTH_ONLY'],
]);

interface WireParticipant {
  ma_so_bhxh: unknown;
  so_dinh_danh: unknown;
  trang_thai: unknown;
  loai_hinh: unknown;
  ngay_bat_dau: unknown;
  the_bhyt: { ma_the: unknown; gia_tri_tu: unknown; gia_tri_den: unknown; noi_dang_ky_kcb: unknown } | null;
  ngay_cap_nhat: unknown;
}

export class SocialInsuranceClient extends SourceClient {
  readonly source = 'social-insurance' as const;

  protected authHeaders(): Record<string, string> {
    return { 'x-bhxh-key': this.apiKey };
  }

  /** The person's participation, or null when BHXH has no record of them. */
  async getParticipant(personalId: string): Promise<InsuranceRecord | null> {
    const response = await this.send({ path: `/bhxh/api/v1/nguoi-tham-gia/${encodeURIComponent(personalId)}` });
    if (response.status === 404) return null;
    return this.map(this.parseJson<WireParticipant>(response), personalId);
  }

  private map(wire: WireParticipant, personalId: string): InsuranceRecord {
    const status = STATUS.get(wire?.trang_thai);
    const participationType = PARTICIPATION.get(wire?.loai_hinh);
    const since = typeof wire?.ngay_bat_dau === 'string' ? fromCompactDate(wire.ngay_bat_dau) : null;
    if (typeof wire?.ma_so_bhxh !== 'string' || wire.so_dinh_danh !== personalId || !status || !participationType || !since) {
      throw this.badResponse('a participant record with missing or unexpected fields');
    }
    return {
      personalId,
      insuranceCode: wire.ma_so_bhxh,
      status,
      participationType,
      since,
      healthInsuranceCard: wire.the_bhyt ? this.mapCard(wire.the_bhyt) : null,
      updatedAt: String(wire.ngay_cap_nhat ?? ''),
      provenance: stampProvenance(this.source, typeof wire.ngay_cap_nhat === 'string' && wire.ngay_cap_nhat !== '' ? wire.ngay_cap_nhat : null),
    };
  }

  private mapCard(card: NonNullable<WireParticipant['the_bhyt']>): HealthInsuranceCardRecord {
    const validFrom = typeof card.gia_tri_tu === 'string' ? fromCompactDate(card.gia_tri_tu) : null;
    const validTo = typeof card.gia_tri_den === 'string' ? fromCompactDate(card.gia_tri_den) : null;
    if (typeof card.ma_the !== 'string' || !validFrom || !validTo || typeof card.noi_dang_ky_kcb !== 'string') {
      throw this.badResponse('a health-insurance card with missing or unexpected fields');
    }
    return { cardNumber: card.ma_the, validFrom, validTo, registeredFacility: card.noi_dang_ky_kcb };
  }
}
