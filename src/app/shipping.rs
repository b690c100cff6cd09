//! Shipping quotes over the rate table (`shipping_rates`, migration 0023): the zone of a
//! destination seen from the warehouse, the parcel's weight, and the methods offered with their
//! fees and delivery windows (`domain::shipping` decides; this module reads). Managers edit the
//! table through `update_rate` (audited).

use serde::Deserialize;

use super::db::{expect_n, Db, DbError, Sql};
use crate::domain::regions::{ProvinceCode, Region};
use crate::domain::shipping::{self, Place, Quote, Rate, ShippingSettings, Zone};

/// The zone for a parcel when no address is known yet (the cart page): another region, the
/// dearest domestic zone, so the estimate never undercuts the real fee in Vietnam.
pub const ESTIMATE_ZONE: Zone = Zone::OtherRegion;

pub fn rates_sql() -> Sql {
    Sql::new("SELECT id, zone, method, up_to_grams, fee, eta_min, eta_max FROM shipping_rates ORDER BY zone, method, coalesce(up_to_grams, 9223372036854775807)")
}

/// A row of the rate table with its id (for the admin's editor).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct RateRow {
    pub id: i64,
    #[serde(flatten)]
    pub rate: Rate,
}

pub fn decode_rates(rows: &super::db::Rows) -> Result<Vec<Rate>, DbError> {
    Ok(rows.decode::<RateRow>()?.into_iter().map(|r| r.rate).collect())
}

/// The whole rate table, by zone, method and bracket.
pub async fn rate_table(db: &impl Db) -> Result<Vec<RateRow>, DbError> {
    db.all(&rates_sql()).await
}

/// Where a delivery to `country` (and in Vietnam `province`) goes from the warehouse. A province
/// code that is not in the table is the caller's to refuse; here it counts as another region.
pub async fn destination_zone(db: &impl Db, settings: &ShippingSettings, country: &str, province: Option<&ProvinceCode>) -> Result<Zone, DbError> {
    let Some(province) = province.filter(|_| country == "VN") else { return Ok(Zone::International) };
    #[derive(Deserialize)]
    struct Row {
        code: String,
        region: Region,
    }
    let sql = Sql::new("SELECT code, region FROM provinces WHERE code IN (?, ?)").bind(settings.warehouse_province.as_str()).bind(province.as_str());
    let rows: Vec<Row> = db.all(&sql).await?;
    let place = |code: &str| rows.iter().find(|r| r.code == code).map(|r| (r.code.as_str(), r.region));
    Ok(match (place(&settings.warehouse_province), place(province.as_str())) {
        (Some((wc, wr)), Some((pc, pr))) => shipping::zone(Place { province_code: wc, region: wr }, Some(Place { province_code: pc, region: pr })),
        _ => ESTIMATE_ZONE,
    })
}

/// The methods offered for `weight_grams` to `zone` (one round trip for the table).
pub async fn quote(db: &impl Db, settings: &ShippingSettings, zone: Zone, weight_grams: i64, subtotal: crate::domain::money::Vnd) -> Result<Vec<Quote>, DbError> {
    let [rows] = expect_n::<1>(db.batch(&[rates_sql()]).await?, "shipping rates")?;
    Ok(shipping::quote(&decode_rates(&rows)?, zone, weight_grams, subtotal, settings.free_standard_from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::{block_on, Sqlite};
    use crate::domain::checkout::ShippingMethod;
    use crate::domain::money::Vnd;

    fn code(s: &str) -> ProvinceCode {
        ProvinceCode::parse(s).unwrap()
    }

    #[test]
    fn zones_are_found_from_the_provinces_regions_with_the_configured_warehouse() {
        let db = Sqlite::migrated();
        let hcm = ShippingSettings::default();
        let z = |s: &ShippingSettings, country, p: Option<&str>| block_on(destination_zone(&db, s, country, p.map(code).as_ref())).unwrap();
        assert_eq!(z(&hcm, "VN", Some("79")), Zone::SameProvince);
        assert_eq!(z(&hcm, "VN", Some("92")), Zone::SameRegion, "Cần Thơ is southern");
        assert_eq!(z(&hcm, "VN", Some("48")), Zone::OtherRegion, "Đà Nẵng is central");
        assert_eq!(z(&hcm, "VN", Some("01")), Zone::OtherRegion);
        assert_eq!(z(&hcm, "SG", Some("79")), Zone::International, "the country decides first");
        assert_eq!(z(&hcm, "VN", None), Zone::International);
        let hanoi = ShippingSettings { warehouse_province: "01".into(), ..ShippingSettings::default() };
        assert_eq!(z(&hanoi, "VN", Some("01")), Zone::SameProvince);
        assert_eq!(z(&hanoi, "VN", Some("31")), Zone::SameRegion, "Hải Phòng is northern");
        assert_eq!(z(&hanoi, "VN", Some("79")), Zone::OtherRegion);
    }

    #[test]
    fn the_seeded_table_prices_every_zone_and_offers_express_only_in_vietnam() {
        let db = Sqlite::migrated();
        let s = ShippingSettings::default();
        let q = |zone, grams, subtotal| {
            block_on(quote(&db, &s, zone, grams, Vnd::new(subtotal))).unwrap().iter().map(|q| (q.method, q.fee.minor(), q.eta_days)).collect::<Vec<_>>()
        };
        use ShippingMethod::{Express, Standard};
        assert_eq!(q(Zone::SameProvince, 300, 100_000), vec![(Standard, 20_000, [1, 2]), (Express, 35_000, [0, 1])]);
        assert_eq!(q(Zone::SameRegion, 1_500, 100_000), vec![(Standard, 32_000, [2, 3]), (Express, 60_000, [1, 2])]);
        assert_eq!(q(Zone::OtherRegion, 300, 100_000), vec![(Standard, 30_000, [3, 5]), (Express, 60_000, [2, 3])]);
        assert_eq!(q(Zone::OtherRegion, 8_000, 100_000), vec![(Standard, 90_000, [5, 7])], "no express above 5 kg");
        assert_eq!(q(Zone::OtherRegion, 300, 1_000_000), vec![(Standard, 0, [3, 5]), (Express, 60_000, [2, 3])], "the free-shipping threshold");
        assert_eq!(q(Zone::International, 900, 5_000_000), vec![(Standard, 350_000, [7, 14])]);
        assert_eq!(q(Zone::International, 6_000, 100_000), vec![], "too heavy to send abroad");
    }
}
