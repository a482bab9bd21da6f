/**
 * The civil-status system's registration statistics: `ThongKeDangKyHoTich` at
 * `/ThongKeHoTichService`, same SOAP 1.1 envelope and key as the record lookups. For one commune
 * and a range of months (at most 36) it answers how many births, marriages and deaths that
 * commune registered each month. Used by the indicators.
 */
import { Provenance, stampProvenance } from '../kit/provenance';
import { z } from '../kit/wire';
import { CivilStatusSoapClient, escapeXml, soapEnvelope } from './soap';

export const STATISTICS_SOAP_ACTION = '"urn:hotich:v1/ThongKeDangKyHoTich"';
/** The most months one statistics request may cover. */
export const STATISTICS_MAX_MONTHS = 36;

export interface MonthlyRegistrations {
  /** `YYYY-MM`. */
  month: string;
  births: number;
  marriages: number;
  deaths: number;
}

export interface RegistrationStatistics {
  communeCode: string;
  months: MonthlyRegistrations[];
  provenance: Provenance;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export function statisticsEnvelope(key: string, communeCode: string, fromMonth: string, toMonth: string): string {
  return soapEnvelope(
    key,
    'ThongKeDangKyHoTich',
    `<ht:MaXa>${escapeXml(communeCode)}</ht:MaXa><ht:TuThang>${escapeXml(fromMonth)}</ht:TuThang><ht:DenThang>${escapeXml(toMonth)}</ht:DenThang>`,
  );
}

/** A whole count; the shared parser reads `KetHon` as a repeated element, so a one-item list is accepted too. */
const count = z
  .union([z.string(), z.tuple([z.string()]).transform(([text]) => text)])
  .pipe(z.string().regex(/^\d{1,9}$/))
  .transform(Number);

const WIRE_MONTH = z
  .object({ Ky: z.string().regex(MONTH), KhaiSinh: count, KetHon: count, KhaiTu: count })
  .transform((row): MonthlyRegistrations => ({ month: row.Ky, births: row.KhaiSinh, marriages: row.KetHon, deaths: row.KhaiTu }));

const WIRE_STATISTICS = z.object({
  MaXa: z.string(),
  // One month parses as the element itself, several as a list.
  Thang: z.unknown().optional(),
  NgayLapBaoCao: z.unknown().optional(),
});

export class CivilStatusStatisticsClient extends CivilStatusSoapClient {
  /** Registrations per month of the range, every month listed; null for a commune the service does not know. */
  async getRegistrationStatistics(communeCode: string, fromMonth: string, toMonth: string): Promise<RegistrationStatistics | null> {
    const body = await this.send(
      {
        method: 'POST',
        path: '/ThongKeHoTichService',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: STATISTICS_SOAP_ACTION },
        body: statisticsEnvelope(this.apiKey, communeCode, fromMonth, toMonth),
        resolveStatuses: [500],
      },
      (response) => (response.status === 404 ? null : this.parseSoapBody(response)),
    );
    if (body === null) return null;
    const result = this.check(WIRE_STATISTICS, body.ThongKeDangKyHoTichResponse, 'a statistics answer for another commune, or none');
    if (result.MaXa !== communeCode) throw this.badResponse('a statistics answer for another commune, or none');
    const rows = result.Thang === undefined ? [] : Array.isArray(result.Thang) ? result.Thang : [result.Thang];
    const months = rows.map((row) => this.check(WIRE_MONTH, row, 'a statistics month with missing or unexpected fields'));
    const producedAt = typeof result.NgayLapBaoCao === 'string' ? result.NgayLapBaoCao : null;
    return { communeCode, months, provenance: stampProvenance(this.source, producedAt) };
  }
}
