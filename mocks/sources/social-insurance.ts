/**
 * Social insurance (BHXH): JSON REST in snake_case, `X-BHXH-Key`, one person per call, dates as
 * `yyyyMMdd`. More than 20 calls in flight for one key are refused with 429, which is why its
 * clients must bound their concurrency.
 */
import { isPersonalId } from '../../lib/personal-id';
import { toCompactDate } from '../world/dates';
import type { InsuranceRecord, InsuranceStatus, ParticipationType, World } from '../world/types';
import { ERROR_STATUS, ErrorKind, header, jsonReply, SourceDefinition, SourceFailure } from './contract';

const ERROR_CODE: Record<ErrorKind, string> = {
  BAD_REQUEST: 'DU_LIEU_KHONG_HOP_LE',
  BATCH_TOO_LARGE: 'DU_LIEU_KHONG_HOP_LE',
  METHOD_NOT_ALLOWED: 'DU_LIEU_KHONG_HOP_LE',
  PAYLOAD_TOO_LARGE: 'DU_LIEU_KHONG_HOP_LE',
  UNAUTHORIZED: 'KHONG_XAC_THUC',
  NOT_FOUND: 'KHONG_TIM_THAY',
  TOO_MANY_REQUESTS: 'VUOT_GIOI_HAN',
  INTERNAL: 'LOI_HE_THONG',
  UNAVAILABLE: 'TAM_NGUNG_DICH_VU',
};

const STATUS: Record<InsuranceStatus, string> = { ACTIVE: 'DANG_THAM_GIA', SUSPENDED: 'TAM_DUNG', STOPPED: 'DUNG_THAM_GIA' };
const TYPE: Record<ParticipationType, string> = { COMPULSORY: 'BAT_BUOC', VOLUNTARY: 'TU_NGUYEN', HEALTH_ONLY: 'CHI_BHYT' };

export const MAX_IN_FLIGHT_PER_KEY = 20;

export function socialInsuranceSource(world: World): SourceDefinition {
  return {
    name: 'social-insurance',
    format: 'json',
    maxInFlightPerKey: MAX_IN_FLIGHT_PER_KEY,
    presentedKey: (call) => header(call, 'x-bhxh-key'),
    renderError: (kind, message) => jsonReply(ERROR_STATUS[kind], { ma_loi: ERROR_CODE[kind], thong_diep: message }),
    routes: [
      {
        method: 'GET',
        path: /^\/bhxh\/api\/v1\/nguoi-tham-gia\/(?<id>[^/]+)$/,
        operation: 'nguoi-tham-gia:get',
        handle: (call) => {
          const id = call.params.id;
          if (!isPersonalId(id)) throw new SourceFailure('BAD_REQUEST', 'Số định danh cá nhân không hợp lệ');
          const record = world.insurance.get(id);
          if (!record) throw new SourceFailure('NOT_FOUND', 'Không tìm thấy người tham gia');
          return jsonReply(200, participant(record));
        },
      },
    ],
  };
}

function participant(r: InsuranceRecord) {
  const card = r.healthCard;
  return {
    ma_so_bhxh: r.insuranceCode,
    so_dinh_danh: r.personalId,
    trang_thai: STATUS[r.status],
    loai_hinh: TYPE[r.participationType],
    ngay_bat_dau: toCompactDate(r.since),
    the_bhyt: card && {
      ma_the: card.cardNumber,
      gia_tri_tu: toCompactDate(card.validFrom),
      gia_tri_den: toCompactDate(card.validTo),
      noi_dang_ky_kcb: card.registeredFacility,
    },
    // The contact address as BHXH holds it: a share still names the old commune.
    dia_chi: { ma_xa: r.recordedCommuneCode ?? r.communeCode, chi_tiet: r.address },
    ngay_cap_nhat: r.updatedAt,
  };
}
