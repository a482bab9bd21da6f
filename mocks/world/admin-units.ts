/**
 * An administrative unit in the official catalogue file's own shape and names, shared by the
 * file reader (catalogue.ts) and the built-in synthetic catalogue.
 */
export interface AdminWard {
  Code: string;
  Name: string;
  NameEn: string;
  FullName: string;
  FullNameEn: string;
  ProvinceCode: string;
  /** `Xã`, `Phường` or `Đặc khu`. */
  AdministrativeUnitShortName: string;
}

export interface AdminProvince {
  Code: string;
  Name: string;
  NameEn: string;
  FullName: string;
  FullNameEn: string;
  /** `Tỉnh` or `Thành phố`. */
  AdministrativeUnitShortName: string;
  Wards: AdminWard[];
}
