//! Vietnam's provinces and wards (the D1 tables of `migrations/0013_regions.sql`): the lists that
//! address forms and the API show, in Vietnamese alphabetical order (`domain::regions`), and the
//! check that a province and ward chosen together exist and belong together.

use serde::{Deserialize, Serialize};

use super::db::{expect_n, Db, DbError, Sql};
use crate::domain::regions::{compare_divisions, ProvinceCode, Region, WardCode};

/// A province or centrally-run city.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Province {
    /// The GSO code, two digits.
    pub code: String,
    /// The official name ("Thành phố Hà Nội", "Cao Bằng").
    pub name: String,
    pub name_en: String,
    pub region: Region,
}

/// A ward, commune or special zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ward {
    /// The GSO code, five digits.
    pub code: String,
    /// The official name, with its type ("Phường Bến Thành", "Xã Bình Chánh", "Đặc khu Côn Đảo").
    pub name: String,
}

/// A province and one of its wards: an address's place, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub province: Province,
    pub ward: Ward,
}

const PROVINCE_COLUMNS: &str = "code, name, name_en, region";

/// Every province, by name.
pub async fn provinces(db: &impl Db) -> Result<Vec<Province>, DbError> {
    let mut all: Vec<Province> = db.all(&Sql::new(format!("SELECT {PROVINCE_COLUMNS} FROM provinces"))).await?;
    crate::domain::sort::sort_by(&mut all, |a, b| compare_divisions(&a.name, &b.name));
    Ok(all)
}

/// The wards of `province`, by name; `None` when there is no such province.
pub async fn wards(db: &impl Db, province: &ProvinceCode) -> Result<Option<Vec<Ward>>, DbError> {
    let results = db
        .batch(&[
            Sql::new("SELECT code FROM provinces WHERE code = ?").bind(province.as_str()),
            Sql::new("SELECT code, name FROM wards WHERE province_code = ?").bind(province.as_str()),
        ])
        .await?;
    let [found, wards] = expect_n::<2>(results, "province wards")?;
    if found.is_empty() {
        return Ok(None);
    }
    let mut wards: Vec<Ward> = wards.decode()?;
    crate::domain::sort::sort_by(&mut wards, |a, b| compare_divisions(&a.name, &b.name));
    Ok(Some(wards))
}

/// The province and ward with these codes, when the ward is in that province (`None` for an
/// unknown code or a ward of another province).
pub async fn locate(db: &impl Db, province: &ProvinceCode, ward: &WardCode) -> Result<Option<Located>, DbError> {
    #[derive(Deserialize)]
    struct Row {
        code: String,
        name: String,
        name_en: String,
        region: Region,
        ward_code: String,
        ward_name: String,
    }
    let sql = Sql::new(
        "SELECT p.code, p.name, p.name_en, p.region, w.code AS ward_code, w.name AS ward_name \
         FROM wards w JOIN provinces p ON p.code = w.province_code WHERE w.code = ? AND p.code = ?",
    )
    .bind(ward.as_str())
    .bind(province.as_str());
    Ok(db.first::<Row>(&sql).await?.map(|r| Located {
        province: Province { code: r.code, name: r.name, name_en: r.name_en, region: r.region },
        ward: Ward { code: r.ward_code, name: r.ward_name },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{block_on, Sqlite};

    fn code(s: &str) -> ProvinceCode {
        ProvinceCode::parse(s).unwrap()
    }

    #[test]
    fn the_34_provinces_are_listed_by_name_with_their_region() {
        let db = Sqlite::migrated();
        let all = block_on(provinces(&db)).unwrap();
        assert_eq!(all.len(), 34);
        let names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
        // By the name after "Thành phố"; a before ă before â ("Cao" before "Cần").
        assert_eq!(&names[..5], ["An Giang", "Bắc Ninh", "Cà Mau", "Cao Bằng", "Thành phố Cần Thơ"]);
        let at = |n: &str| names.iter().position(|x| *x == n).unwrap();
        let d_bar = [at("Thành phố Đà Nẵng"), at("Đắk Lắk"), at("Điện Biên"), at("Đồng Nai"), at("Đồng Tháp")];
        assert!(d_bar.windows(2).all(|w| w[0] + 1 == w[1]), "the Đ names together, a < ă < i < ô: {d_bar:?}");
        assert!(at("Gia Lai") == at("Đồng Tháp") + 1, "đ after d, before g (no E names)");
        assert!(at("Thành phố Hà Nội") < at("Hà Tĩnh") && at("Hà Tĩnh") < at("Thành phố Hải Phòng"));
        assert!(at("Thành phố Huế") < at("Hưng Yên"), "u before ư");
        assert_eq!(names.last(), Some(&"Vĩnh Long"));
        let hcm = all.iter().find(|p| p.code == "79").unwrap();
        assert_eq!((hcm.name_en.as_str(), hcm.region), ("Ho Chi Minh City", Region::South));
        assert_eq!(all.iter().find(|p| p.code == "01").unwrap().region, Region::North);
        assert_eq!(all.iter().find(|p| p.code == "48").unwrap().region, Region::Central);
    }

    #[test]
    fn a_provinces_wards_are_listed_by_name_in_one_round_trip() {
        let db = Sqlite::migrated();
        let hanoi = block_on(wards(&db, &code("01"))).unwrap().unwrap();
        assert_eq!(hanoi.len(), 126);
        assert_eq!(db.round_trips.get(), 1);
        assert!(hanoi.iter().any(|w| w.code == "00070" && w.name == "Phường Hoàn Kiếm"));
        for pair in hanoi.windows(2) {
            assert!(compare_divisions(&pair[0].name, &pair[1].name).is_lt(), "{} before {}", pair[0].name, pair[1].name);
        }
        // Every province has wards, and the counts add up to the whole table.
        let total: usize = block_on(provinces(&db)).unwrap().iter().map(|p| block_on(wards(&db, &code(&p.code))).unwrap().unwrap().len()).sum();
        assert_eq!(total, 3321);
    }

    #[test]
    fn an_unknown_province_has_no_list_rather_than_an_empty_one() {
        let db = Sqlite::migrated();
        assert_eq!(block_on(wards(&db, &code("02"))).unwrap(), None, "02 was Hà Giang, merged into Tuyên Quang");
        assert_eq!(block_on(wards(&db, &code("99"))).unwrap(), None);
    }

    #[test]
    fn a_ward_is_located_only_in_its_own_province() {
        let db = Sqlite::migrated();
        let ward = WardCode::parse("00070").unwrap();
        let found = block_on(locate(&db, &code("01"), &ward)).unwrap().unwrap();
        assert_eq!((found.province.name.as_str(), found.ward.name.as_str()), ("Thành phố Hà Nội", "Phường Hoàn Kiếm"));
        assert_eq!(found.province.region, Region::North);
        assert_eq!(block_on(locate(&db, &code("79"), &ward)).unwrap(), None, "Hoàn Kiếm is not in Hồ Chí Minh City");
        assert_eq!(block_on(locate(&db, &code("01"), &WardCode::parse("99999").unwrap())).unwrap(), None);
    }
}
