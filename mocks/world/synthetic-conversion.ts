/**
 * A small stand-in for the conversion table, over the synthetic catalogue's communes, used when
 * no conversion file is given. Old codes and names are real units of the pre-reform catalogue;
 * the old Bắc Giang (`24`) and Hà Nội rows are as published, while the rows that bring old Bắc
 * Ninh (`27`) units into the synthetic Bắc Ninh communes, the split of Song Mai and the rename of
 * Tiến Thắng are made up, so that every case appears: whole, split, renamed, unchanged, an old
 * code equal to a new code for another area, and two old provinces merged into one.
 */
import { FormerUnit, kindOfName } from '../../lib/admin-units';

/** A row of the conversion table as the catalogue source serves it (its own Vietnamese names). */
export interface ConversionRow {
  MaXaMoi: string;
  TenXaMoi: string;
  MaXaCu: string;
  TenXaCu: string;
  GhiChu: string;
}


type District = [code: string, name: string];
type OldProvince = [code: string, name: string];

const BAC_GIANG: OldProvince = ['24', 'Tỉnh Bắc Giang'];
const BAC_NINH_OLD: OldProvince = ['27', 'Tỉnh Bắc Ninh'];
const HA_NOI: OldProvince = ['01', 'Thành phố Hà Nội'];
const QUANG_NINH: OldProvince = ['22', 'Tỉnh Quảng Ninh'];

const TP_BAC_GIANG: District = ['213', 'Thành phố Bắc Giang'];
const YEN_THE: District = ['215', 'Huyện Yên Thế'];
const YEN_PHONG: District = ['258', 'Huyện Yên Phong'];
const BA_DINH: District = ['001', 'Quận Ba Đình'];
const HA_LONG: District = ['193', 'Thành phố Hạ Long'];
const VAN_DON: District = ['203', 'Huyện Vân Đồn'];

type Line = [newCode: string, newName: string, oldCode: string, oldName: string, note: string, district: District, province: OldProvince];

const LINES: Line[] = [
  // Bắc Ninh (24), from old Bắc Giang (24)…
  ['07210', 'Phường Bắc Giang', '07201', 'Phường Thọ Xương', 'Nhập toàn bộ', TP_BAC_GIANG, BAC_GIANG],
  ['07210', 'Phường Bắc Giang', '07207', 'Phường Ngô Quyền', 'Nhập toàn bộ', TP_BAC_GIANG, BAC_GIANG],
  ['07210', 'Phường Bắc Giang', '07210', 'Phường Hoàng Văn Thụ', 'Nhập toàn bộ', TP_BAC_GIANG, BAC_GIANG],
  ['07210', 'Phường Bắc Giang', '07213', 'Phường Trần Phú', 'Nhập toàn bộ', TP_BAC_GIANG, BAC_GIANG],
  ['07210', 'Phường Bắc Giang', '07222', 'Phường Song Mai', 'Nhập một phần', TP_BAC_GIANG, BAC_GIANG],
  ['07228', 'Phường Đa Mai', '07216', 'Phường Mỹ Độ', 'Nhập toàn bộ', TP_BAC_GIANG, BAC_GIANG],
  ['07228', 'Phường Đa Mai', '07222', 'Phường Song Mai', 'Nhập một phần', TP_BAC_GIANG, BAC_GIANG],
  ['07228', 'Phường Đa Mai', '07228', 'Phường Đa Mai', 'Nhập toàn bộ', TP_BAC_GIANG, BAC_GIANG],
  ['07246', 'Xã Xuân Lương', '07246', 'Xã Canh Nậu', 'Nhập toàn bộ', YEN_THE, BAC_GIANG],
  ['07246', 'Xã Xuân Lương', '07249', 'Xã Xuân Lương', 'Nhập toàn bộ', YEN_THE, BAC_GIANG],
  ['07264', 'Xã Tam Tiến', '07264', 'Xã Tiến Thắng', 'Đổi tên', YEN_THE, BAC_GIANG],
  ['07282', 'Xã Đồng Kỳ', '07282', 'Xã Đồng Kỳ', 'Giữ nguyên', YEN_THE, BAC_GIANG],
  // … and from old Bắc Ninh (27): one whole, one split between two new communes.
  ['07282', 'Xã Đồng Kỳ', '09217', 'Xã Đông Tiến', 'Nhập toàn bộ', YEN_PHONG, BAC_NINH_OLD],
  ['07264', 'Xã Tam Tiến', '09205', 'Xã Yên Trung', 'Nhập một phần diện tích', YEN_PHONG, BAC_NINH_OLD],
  ['07282', 'Xã Đồng Kỳ', '09205', 'Xã Yên Trung', 'Nhập một phần', YEN_PHONG, BAC_NINH_OLD],
  // Hà Nội, as published: Trúc Bạch's code went on as Ba Đình's; Ngọc Hà was split.
  ['00004', 'Phường Ba Đình', '00004', 'Phường Trúc Bạch', 'Nhập toàn bộ', BA_DINH, HA_NOI],
  ['00004', 'Phường Ba Đình', '00013', 'Phường Quán Thánh', 'Nhập toàn bộ', BA_DINH, HA_NOI],
  ['00004', 'Phường Ba Đình', '00016', 'Phường Ngọc Hà', 'Nhập một phần', BA_DINH, HA_NOI],
  ['00008', 'Phường Ngọc Hà', '00008', 'Phường Liễu Giai', 'Nhập toàn bộ', BA_DINH, HA_NOI],
  ['00008', 'Phường Ngọc Hà', '00016', 'Phường Ngọc Hà', 'Nhập một phần', BA_DINH, HA_NOI],
  // Quảng Ninh, as published.
  ['06652', 'Phường Hà Tu', '06652', 'Phường Hà Phong', 'Nhập toàn bộ', HA_LONG, QUANG_NINH],
  ['06652', 'Phường Hà Tu', '06664', 'Phường Hà Tu', 'Nhập toàn bộ', HA_LONG, QUANG_NINH],
  ['06994', 'Đặc khu Vân Đồn', '06994', 'Thị trấn Cái Rồng', 'Nhập toàn bộ', VAN_DON, QUANG_NINH],
];

export const SYNTHETIC_CONVERSION: { rows: ConversionRow[]; formerUnits: FormerUnit[] } = {
  rows: LINES.map(([MaXaMoi, TenXaMoi, MaXaCu, TenXaCu, GhiChu]) => ({ MaXaMoi, TenXaMoi, MaXaCu, TenXaCu, GhiChu })),
  formerUnits: LINES.map(([, , code, name, , [districtCode, districtName], [provinceCode, provinceName]]) => ({
    code,
    name,
    kind: kindOfName(name),
    districtCode,
    districtName,
    provinceCode,
    provinceName,
  })),
};
