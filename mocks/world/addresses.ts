/**
 * Vietnamese addresses: house numbers, lanes and streets with residential groups (tổ dân phố) in
 * wards; villages (thôn) in communes and special zones. Each commune gets its own short list of
 * villages and streets the first time it is used, so neighbours share them.
 */
import type { AdminProvince, AdminWard } from './admin-units';
import type { Catalogue } from './catalogue';
import type { Rng } from './prng';
import { flat } from './strings';

const STREETS = [
  'Trần Phú', 'Lê Lợi', 'Nguyễn Trãi', 'Hai Bà Trưng', 'Quang Trung', 'Lý Thường Kiệt', 'Hùng Vương',
  'Nguyễn Văn Cừ', 'Lê Duẩn', 'Ngô Quyền', 'Trần Hưng Đạo', 'Phan Đình Phùng', 'Nguyễn Du',
  'Hoàng Hoa Thám', 'Điện Biên Phủ', 'Võ Thị Sáu', 'Lê Thánh Tông', 'Nguyễn Thị Minh Khai', 'Bà Triệu',
  'Trường Chinh', 'Phạm Văn Đồng', 'Tô Hiến Thành', 'Chu Văn An', 'Lạc Long Quân',
];
const VILLAGES = [
  'Đông', 'Tây', 'Nam', 'Bắc', 'Thượng', 'Hạ', 'Trung', 'Đình', 'Chùa', 'Cầu', 'An Lạc', 'Phú Mỹ',
  'Tân Thành', 'Đồng Tâm', 'Hòa Bình', 'Yên Phú', 'Thanh Bình', 'Phúc Lâm', 'Xuân Hòa', 'Hưng Long',
  'Đông Sơn', 'Tiền Phong', 'Quyết Tiến', 'Hợp Thành', 'Làng Mới', 'Bến', 'Gò', 'Rừng Thông',
];
const FIELDS = ['Cửa Đình', 'Đồng Sau', 'Ao Cá', 'Bãi Giữa', 'Đồng Chiêm', 'Gò Cao', 'Ruộng Mạ', 'Đồi Chè', 'Bờ Sông', 'Đồng Lớn'];

/** `phường Bắc Giang`, `xã Xuân Lương`, `đặc khu Vân Đồn`. */
export function communeLabel(ward: AdminWard): string {
  return `${ward.AdministrativeUnitShortName.toLowerCase()} ${ward.Name}`;
}

/** `tỉnh Bắc Ninh`, `thành phố Hà Nội`. */
export function provinceLabel(province: AdminProvince): string {
  return `${province.AdministrativeUnitShortName.toLowerCase()} ${province.Name}`;
}

interface Locality {
  ward: AdminWard;
  tail: string;
  isWard: boolean;
  villages: string[];
  streets: string[];
  /** Health facilities nearby, made once and shared by every card that names them. */
  facilities: string[];
}

export class AddressBook {
  private readonly localities = new Map<string, Locality>();

  constructor(
    private readonly rng: Rng,
    private readonly catalogue: Catalogue,
  ) {}

  /** A home address, as on a household registration. */
  home(communeCode: string): string {
    const { rng } = this;
    const place = this.locality(communeCode);
    if (place.isWard) {
      const lane = rng.chance(0.5) ? `ngõ ${rng.int(1, 300)}, ` : '';
      return flat('Số ', rng.int(1, 250), ', ', lane, 'đường ', rng.pick(place.streets), ', tổ dân phố ', rng.int(1, 25), ', ', place.tail);
    }
    return flat('Số ', rng.int(1, 150), ', thôn ', rng.pick(place.villages), ', ', place.tail);
  }

  /** Where a farm, forest or commercial plot lies. */
  field(communeCode: string): string {
    const place = this.locality(communeCode);
    const area = place.isWard ? `khu ${this.rng.pick(FIELDS)}` : `xứ đồng ${this.rng.pick(FIELDS)}, thôn ${this.rng.pick(place.villages)}`;
    return flat(area[0].toUpperCase(), area.slice(1), ', ', place.tail);
  }

  /** The primary-care facility named on a health-insurance card. */
  healthFacility(communeCode: string): string {
    const [station, centre, hospital] = this.locality(communeCode).facilities;
    const r = this.rng.next();
    return r < 0.7 ? station : r < 0.85 ? centre : hospital;
  }

  private locality(communeCode: string): Locality {
    let place = this.localities.get(communeCode);
    if (!place) {
      const ward = this.catalogue.communeByCode.get(communeCode)!;
      const province = this.catalogue.provinceByCode.get(ward.ProvinceCode)!;
      place = {
        ward,
        tail: flat(communeLabel(ward), ', ', provinceLabel(province)),
        isWard: ward.AdministrativeUnitShortName === 'Phường',
        villages: this.rng.shuffle([...VILLAGES]).slice(0, this.rng.int(4, 10)),
        streets: this.rng.shuffle([...STREETS]).slice(0, this.rng.int(3, 8)),
        facilities: [
          flat('Trạm y tế ', communeLabel(ward)),
          flat('Trung tâm y tế khu vực ', ward.Name),
          flat('Bệnh viện đa khoa ', provinceLabel(province)),
        ],
      };
      this.localities.set(communeCode, place);
    }
    return place;
  }
}
