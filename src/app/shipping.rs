//! Shipping quotes over the rate table (`shipping_rates`, migration 0023): the zone of a
//! destination seen from the warehouse, the parcel's weight, and the methods offered with their
//! fees and delivery windows (`domain::shipping` decides; this module reads). Managers edit the
//! table through `update_rate` (audited).

use serde::Deserialize;

use super::admin::{audit_created_sql, audit_sql, Actor};
use super::db::{expect_n, Db, DbError, Sql};
use super::sql::SqlValue;
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
    let Some(sql) = zone_sql(settings, country, province) else { return Ok(Zone::International) };
    let [rows] = expect_n::<1>(db.batch(&[sql]).await?, "zone")?;
    zone_from(settings, province, &rows)
}

/// The read `destination_zone` needs (`None`: abroad, nothing to read), for a caller that sends it
/// in a batch of its own and decodes its rows with `zone_from`.
pub fn zone_sql(settings: &ShippingSettings, country: &str, province: Option<&ProvinceCode>) -> Option<Sql> {
    let province = province.filter(|_| country == "VN")?;
    Some(Sql::new("SELECT code, region FROM provinces WHERE code IN (?, ?)").bind(settings.warehouse_province.as_str()).bind(province.as_str()))
}

/// The zone from `zone_sql`'s rows.
pub fn zone_from(settings: &ShippingSettings, province: Option<&ProvinceCode>, rows: &super::db::Rows) -> Result<Zone, DbError> {
    let Some(province) = province else { return Ok(Zone::International) };
    #[derive(Deserialize)]
    struct Row {
        code: String,
        region: Region,
    }
    let rows: Vec<Row> = rows.decode()?;
    let place = |code: &str| rows.iter().find(|r| r.code == code).map(|r| (r.code.as_str(), r.region));
    Ok(match (place(&settings.warehouse_province), place(province.as_str())) {
        (Some((wc, wr)), Some((pc, pr))) => shipping::zone(Place { province_code: wc, region: wr }, Some(Place { province_code: pc, region: pr })),
        _ => ESTIMATE_ZONE,
    })
}

/// `quote` from the rate table's rows (`rates_sql`) read in a caller's batch.
pub fn quote_from(settings: &ShippingSettings, rates: &super::db::Rows, zone: Zone, weight_grams: i64, subtotal: crate::domain::money::Vnd) -> Result<Vec<Quote>, DbError> {
    Ok(shipping::quote(&decode_rates(rates)?, zone, weight_grams, subtotal, settings.free_standard_from))
}

/// The methods offered for `weight_grams` to `zone` (one round trip for the table).
pub async fn quote(db: &impl Db, settings: &ShippingSettings, zone: Zone, weight_grams: i64, subtotal: crate::domain::money::Vnd) -> Result<Vec<Quote>, DbError> {
    let [rows] = expect_n::<1>(db.batch(&[rates_sql()]).await?, "shipping rates")?;
    Ok(shipping::quote(&decode_rates(&rows)?, zone, weight_grams, subtotal, settings.free_standard_from))
}

/// A rate row as a manager typed it.
#[derive(Clone, Debug, Default)]
pub struct RateInput {
    pub zone: String,
    pub method: String,
    /// Empty: any weight.
    pub up_to_grams: String,
    pub fee: String,
    pub eta_min: String,
    pub eta_max: String,
}

/// Why a manager's change was not made.
#[derive(Debug, PartialEq, Eq)]
pub enum RateEditError {
    /// A field that is not a number, an unknown zone or method, or a nonsense row.
    Invalid(&'static str),
    /// That bracket exists already for the zone and method.
    Duplicate,
    NotFound,
}

/// Parses and checks a typed row (`domain::shipping::check_rate`).
pub fn parse_rate(input: &RateInput) -> Result<Rate, RateEditError> {
    let int = |s: &str, field: &'static str| s.trim().replace(['.', ',', ' '], "").parse::<i64>().map_err(|_| RateEditError::Invalid(field));
    let zone = Zone::parse(input.zone.trim()).ok_or(RateEditError::Invalid("zone"))?;
    let method = crate::domain::checkout::ShippingMethod::parse(input.method.trim()).ok_or(RateEditError::Invalid("method"))?;
    let up_to_grams = if input.up_to_grams.trim().is_empty() { None } else { Some(int(&input.up_to_grams, "up_to_grams")?) };
    let rate = Rate {
        zone,
        method,
        up_to_grams,
        fee: crate::domain::money::Vnd::new(int(&input.fee, "fee")?),
        eta_min: int(&input.eta_min, "eta_min")?,
        eta_max: int(&input.eta_max, "eta_max")?,
    };
    shipping::check_rate(&rate).map_err(|p| {
        RateEditError::Invalid(match p {
            shipping::RateProblem::Fee => "fee",
            shipping::RateProblem::Weight => "up_to_grams",
            shipping::RateProblem::Eta => "eta",
        })
    })?;
    Ok(rate)
}

fn rate_json(r: &Rate) -> serde_json::Value {
    serde_json::json!({"zone": r.zone.code(), "method": r.method.code(), "up_to_grams": r.up_to_grams, "fee": r.fee, "eta_min": r.eta_min, "eta_max": r.eta_max})
}

/// `sql` with a rate's six columns bound in the table's order (zone, method, up_to_grams, fee,
/// eta_min, eta_max).
fn bind_rate(sql: Sql, rate: &Rate) -> Sql {
    sql.bind(rate.zone.code())
        .bind(rate.method.code())
        .bind(rate.up_to_grams.map_or(SqlValue::Null, SqlValue::Int))
        .bind(rate.fee)
        .bind(rate.eta_min)
        .bind(rate.eta_max)
}

/// Adds a row to the rate table, audited (`shipping_rate.create`).
pub async fn add_rate(db: &impl Db, actor: &Actor<'_>, input: &RateInput, now: i64) -> Result<Result<(), RateEditError>, DbError> {
    let rate = match parse_rate(input) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    let insert = bind_rate(Sql::new("INSERT INTO shipping_rates (zone, method, up_to_grams, fee, eta_min, eta_max, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"), &rate).bind(now);
    match db.batch(&[insert, audit_created_sql(actor, "shipping_rate.create", "shipping_rate", "shipping_rates", &rate_json(&rate), now)]).await {
        Ok(_) => Ok(Ok(())),
        Err(e) if e.is_constraint() => Ok(Err(RateEditError::Duplicate)),
        Err(e) => Err(e),
    }
}

/// Changes a row, audited with what it was and what it becomes (`shipping_rate.update`).
pub async fn update_rate(db: &impl Db, actor: &Actor<'_>, id: i64, input: &RateInput, now: i64) -> Result<Result<(), RateEditError>, DbError> {
    let rate = match parse_rate(input) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    let Some(before) = rate_table(db).await?.into_iter().find(|r| r.id == id) else { return Ok(Err(RateEditError::NotFound)) };
    let update =
        bind_rate(Sql::new("UPDATE shipping_rates SET zone = ?, method = ?, up_to_grams = ?, fee = ?, eta_min = ?, eta_max = ?, updated_at = ? WHERE id = ?"), &rate).bind(now).bind(id);
    let audit = audit_sql(actor, "shipping_rate.update", "shipping_rate", &id.to_string(), Some(&rate_json(&before.rate)), Some(&rate_json(&rate)), now);
    match db.batch(&[update, audit]).await {
        Ok(_) => Ok(Ok(())),
        Err(e) if e.is_constraint() => Ok(Err(RateEditError::Duplicate)),
        Err(e) => Err(e),
    }
}

/// Removes a row (a zone and method left with no row are no longer offered), audited.
pub async fn remove_rate(db: &impl Db, actor: &Actor<'_>, id: i64, now: i64) -> Result<bool, DbError> {
    let Some(before) = rate_table(db).await?.into_iter().find(|r| r.id == id) else { return Ok(false) };
    let delete = Sql::new("DELETE FROM shipping_rates WHERE id = ?").bind(id);
    let audit = audit_sql(actor, "shipping_rate.delete", "shipping_rate", &id.to_string(), Some(&rate_json(&before.rate)), None, now);
    let results = db.batch(&[delete, audit]).await?;
    Ok(results.first().is_some_and(|r| r.changes() > 0))
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

    fn typed(zone: &str, method: &str, up_to: &str, fee: &str, eta: (&str, &str)) -> RateInput {
        RateInput { zone: zone.into(), method: method.into(), up_to_grams: up_to.into(), fee: fee.into(), eta_min: eta.0.into(), eta_max: eta.1.into() }
    }

    #[test]
    fn a_managers_edits_change_the_quotes_and_are_audited() {
        let db = Sqlite::migrated();
        let actor = Actor { id: "a1", email: "manager@vestify.vn", ip: "127.0.0.1" };
        let s = ShippingSettings::default();
        let express_in_region = || block_on(quote(&db, &s, Zone::SameRegion, 300, Vnd::new(100_000))).unwrap().iter().find(|q| q.method == ShippingMethod::Express).map(|q| q.fee.minor());
        assert_eq!(express_in_region(), Some(45_000));
        let row = block_on(rate_table(&db)).unwrap().into_iter().find(|r| r.rate.zone == Zone::SameRegion && r.rate.method == ShippingMethod::Express && r.rate.up_to_grams == Some(500)).unwrap();
        block_on(update_rate(&db, &actor, row.id, &typed("same_region", "express", "500", "40.000", ("1", "2")), 5)).unwrap().unwrap();
        assert_eq!(express_in_region(), Some(40_000));
        let audited = db.text(&format!("SELECT before || ' -> ' || after FROM audit_log WHERE action = 'shipping_rate.update' AND entity_id = '{}'", row.id));
        assert!(audited.contains("\"fee\":45000") && audited.contains("\"fee\":40000"), "{audited}");
        // Express withdrawn from the region: not offered there any more.
        for r in block_on(rate_table(&db)).unwrap().into_iter().filter(|r| r.rate.zone == Zone::SameRegion && r.rate.method == ShippingMethod::Express) {
            assert!(block_on(remove_rate(&db, &actor, r.id, 6)).unwrap());
        }
        assert_eq!(express_in_region(), None);
        assert_eq!(db.int("SELECT COUNT(*) FROM audit_log WHERE action = 'shipping_rate.delete'"), 4);
        // And offered again up to 1 kg.
        block_on(add_rate(&db, &actor, &typed("same_region", "express", "1000", "55000", ("1", "1")), 7)).unwrap().unwrap();
        assert_eq!(express_in_region(), Some(55_000));
        assert_eq!(db.int("SELECT COUNT(*) FROM audit_log WHERE action = 'shipping_rate.create'"), 1);
        assert_eq!(block_on(add_rate(&db, &actor, &typed("same_region", "express", "1000", "1", ("1", "1")), 8)).unwrap(), Err(RateEditError::Duplicate));
    }

    #[test]
    fn a_nonsense_row_is_refused_before_anything_changes() {
        let db = Sqlite::migrated();
        let actor = Actor { id: "a1", email: "m@vestify.vn", ip: "" };
        let before = block_on(rate_table(&db)).unwrap();
        for (input, field) in [
            (typed("moon", "standard", "", "1", ("1", "2")), "zone"),
            (typed("same_region", "drone", "", "1", ("1", "2")), "method"),
            (typed("same_region", "standard", "0", "1", ("1", "2")), "up_to_grams"),
            (typed("same_region", "standard", "", "-5", ("1", "2")), "fee"),
            (typed("same_region", "standard", "", "abc", ("1", "2")), "fee"),
            (typed("same_region", "standard", "", "1", ("3", "2")), "eta"),
        ] {
            assert_eq!(block_on(add_rate(&db, &actor, &input, 1)).unwrap(), Err(RateEditError::Invalid(field)));
        }
        assert_eq!(block_on(update_rate(&db, &actor, 999_999, &typed("same_region", "standard", "", "1", ("1", "2")), 1)).unwrap(), Err(RateEditError::NotFound));
        assert_eq!(block_on(rate_table(&db)).unwrap(), before);
        assert_eq!(db.int("SELECT COUNT(*) FROM audit_log"), 0);
    }
}
