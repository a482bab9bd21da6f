/**
 * Budgets (TABMIS) for every commune and province, fiscal years 2025 and 2026: nineteen revenue
 * and ten expenditure lines with estimates and actuals in whole đồng. 2025 is closed (actuals near
 * the estimate); 2026 is under way (actuals to date below it). Communes rely mostly on transfers
 * from above; a province's lines are its own, not the sum of its communes.
 *
 * Drawn from its own stream over the catalogue alone, so budgets do not change with world size.
 */
import type { Catalogue } from './catalogue';
import { dayOfYearStart } from './dates';
import { Rng } from './prng';
import type { BudgetLine, BudgetSection } from './types';

export const FISCAL_YEARS = [2025, 2026] as const;
/** The closed year and the one under way on the world's today. */
const [CLOSED, CURRENT] = FISCAL_YEARS;

type Item = [code: string, name: string, weight: number];

// Item codes line up with the province's revenue-sharing rule table (config/budget-rules/): land-use
// fees come by kind, since each kind is shared by its own rule.
const REVENUE: Item[] = [
  ['1003', 'Thuế thu nhập cá nhân', 3],
  ['1701', 'Thuế giá trị gia tăng hàng sản xuất, kinh doanh trong nước', 4],
  ['1601', 'Thuế sử dụng đất phi nông nghiệp', 1],
  ['1411', 'Tiền sử dụng đất: đất gắn với tài sản do xã quản lý', 1],
  ['1412', 'Tiền sử dụng đất: chuyển mục đích sử dụng đất', 3],
  ['1413', 'Tiền sử dụng đất: công nhận quyền sử dụng đất cho hộ gia đình, cá nhân', 2],
  ['1414', 'Tiền sử dụng đất: đất dôi dư, xen kẹp', 1],
  ['1415', 'Tiền thuê đất trả tiền một lần cho cả thời gian thuê', 1],
  ['1416', 'Tiền sử dụng đất: đấu giá dự án khu đô thị, khu dân cư', 3],
  ['1419', 'Tiền sử dụng đất: các trường hợp còn lại', 1],
  ['1301', 'Thu tiền thuê đất, thuê mặt nước', 2],
  ['2801', 'Lệ phí trước bạ nhà, đất', 2],
  ['2001', 'Phí, lệ phí', 1],
  ['3601', 'Thu từ quỹ đất công ích, hoa lợi công sản', 1],
  ['3801', 'Thu tiền cấp quyền khai thác khoáng sản', 0.5],
  ['4251', 'Thu phạt vi phạm hành chính, tịch thu', 0.5],
  ['4901', 'Thu khác ngân sách', 1],
  ['4701', 'Thu bổ sung cân đối từ ngân sách cấp trên', 50],
  ['4702', 'Thu bổ sung có mục tiêu từ ngân sách cấp trên', 15],
];

const EXPENDITURE: Item[] = [
  ['2010', 'Chi đầu tư phát triển', 20],
  ['2100', 'Chi sự nghiệp giáo dục, đào tạo', 18],
  ['2150', 'Chi sự nghiệp y tế, dân số và gia đình', 6],
  ['2200', 'Chi sự nghiệp văn hóa, thông tin, thể dục, thể thao', 4],
  ['2300', 'Chi bảo vệ môi trường', 3],
  ['2350', 'Chi các hoạt động kinh tế', 8],
  ['2400', 'Chi quản lý nhà nước, Đảng, đoàn thể', 25],
  ['2450', 'Chi bảo đảm xã hội', 6],
  ['2500', 'Chi quốc phòng, an ninh, trật tự an toàn xã hội', 4],
  ['2600', 'Chi chương trình mục tiêu quốc gia "Xây dựng nông thôn mới"', 3],
];

const BILLION = 1_000_000_000;

/** Yearly revenue estimate of a unit, in billions of đồng. */
const SCALE: Record<string, [number, number]> = {
  'Xã': [15, 60],
  'Phường': [40, 160],
  'Đặc khu': [150, 600],
  'Tỉnh': [3_000, 25_000],
  'Thành phố': [8_000, 60_000],
};

export function draftBudgets(seed: string, catalogue: Catalogue, asOfDay: number): Map<string, Map<number, BudgetLine[]>> {
  const rng = new Rng(`${seed}/budget`);
  // Share of the current year gone by on the world's today: how far actuals have got.
  const elapsed = Math.min(0.95, Math.max(0.05, (asOfDay - dayOfYearStart(CURRENT)) / 365));
  const budgets = new Map<string, Map<number, BudgetLine[]>>();
  const units = catalogue.provinces.flatMap((p) => [p, ...p.Wards]);
  for (const unit of units) {
    const [min, max] = SCALE[unit.AdministrativeUnitShortName];
    const revenue = (min + rng.next() * (max - min)) * BILLION;
    const spending = revenue * (0.93 + rng.next() * 0.07);
    const closed = [...section(rng, 'REVENUE', REVENUE, revenue), ...section(rng, 'EXPENDITURE', EXPENDITURE, spending)];
    const current = closed.map((line) => {
      const estimateVnd = roundTo(line.estimateVnd * (1.02 + rng.next() * 0.1), 1_000_000);
      const actualVnd = Math.min(roundTo(estimateVnd * elapsed * (0.6 + rng.next() * 0.65), 1000), roundTo(estimateVnd * 0.97, 1000));
      return { ...line, estimateVnd, actualVnd };
    });
    budgets.set(unit.Code, new Map([[CLOSED, closed], [CURRENT, current]]));
  }
  return budgets;
}

/** Lines of one section: the total split by weight, each line off by up to ±40%. */
function section(rng: Rng, name: BudgetSection, items: Item[], total: number): BudgetLine[] {
  const weightSum = items.reduce((sum, [, , w]) => sum + w, 0);
  return items.map(([itemCode, itemName, weight]) => {
    const estimateVnd = Math.max(1_000_000, roundTo(((total * weight) / weightSum) * (0.6 + rng.next() * 0.8), 1_000_000));
    return { section: name, itemCode, itemName, estimateVnd, actualVnd: roundTo(estimateVnd * (0.88 + rng.next() * 0.27), 1000) };
  });
}

function roundTo(value: number, unit: number): number {
  return Math.round(value / unit) * unit;
}
