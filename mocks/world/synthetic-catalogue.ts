/**
 * A small stand-in for the official catalogue, used when no ADMIN_UNITS_FILE is given: three
 * provinces with five or six communes each, with real-looking codes and names in the official
 * file's shape. Quảng Ninh brings a special zone (đặc khu), so every kind of unit is present.
 */
import type { AdminProvince, AdminWard } from './admin-units';

type Kind = 'Xã' | 'Phường' | 'Đặc khu';
const KIND_EN: Record<Kind, string> = { 'Xã': 'Commune', 'Phường': 'Ward', 'Đặc khu': 'Special administrative region' };

function ward(provinceCode: string, code: string, kind: Kind, name: string, nameEn: string): AdminWard {
  return {
    Code: code,
    Name: name,
    NameEn: nameEn,
    FullName: `${kind} ${name}`,
    FullNameEn: `${nameEn} ${KIND_EN[kind]}`,
    ProvinceCode: provinceCode,
    AdministrativeUnitShortName: kind,
  };
}

function province(code: string, kind: 'Tỉnh' | 'Thành phố', name: string, nameEn: string, wards: [string, Kind, string, string][]): AdminProvince {
  return {
    Code: code,
    Name: name,
    NameEn: nameEn,
    FullName: `${kind} ${name}`,
    FullNameEn: `${nameEn} ${kind === 'Tỉnh' ? 'Province' : 'City'}`,
    AdministrativeUnitShortName: kind,
    Wards: wards.map(([wardCode, wardKind, wardName, wardNameEn]) => ward(code, wardCode, wardKind, wardName, wardNameEn)),
  };
}

export const SYNTHETIC_PROVINCES: AdminProvince[] = [
  province('01', 'Thành phố', 'Hà Nội', 'Hanoi', [
    ['00004', 'Phường', 'Ba Đình', 'Ba Dinh'],
    ['00008', 'Phường', 'Ngọc Hà', 'Ngoc Ha'],
    ['00025', 'Phường', 'Giảng Võ', 'Giang Vo'],
    ['00376', 'Xã', 'Sóc Sơn', 'Soc Son'],
    ['00382', 'Xã', 'Kim Anh', 'Kim Anh'],
  ]),
  province('22', 'Tỉnh', 'Quảng Ninh', 'Quang Ninh', [
    ['06652', 'Phường', 'Hà Tu', 'Ha Tu'],
    ['06658', 'Phường', 'Cao Xanh', 'Cao Xanh'],
    ['06724', 'Xã', 'Hải Sơn', 'Hai Son'],
    ['06733', 'Xã', 'Hải Ninh', 'Hai Ninh'],
    ['06994', 'Đặc khu', 'Vân Đồn', 'Van Don'],
  ]),
  province('24', 'Tỉnh', 'Bắc Ninh', 'Bac Ninh', [
    ['07210', 'Phường', 'Bắc Giang', 'Bac Giang'],
    ['07228', 'Phường', 'Đa Mai', 'Da Mai'],
    ['07246', 'Xã', 'Xuân Lương', 'Xuan Luong'],
    ['07264', 'Xã', 'Tam Tiến', 'Tam Tien'],
    ['07282', 'Xã', 'Đồng Kỳ', 'Dong Ky'],
  ]),
];
