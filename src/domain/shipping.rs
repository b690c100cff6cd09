//! Shipping fees by zone and weight: where the parcel goes from the warehouse (same province, same
//! region, another region, abroad) and how much it weighs pick a row of the rate table that
//! managers edit; express is offered only where the table has an express row for that zone and
//! weight. Standard shipping within Vietnam stays free from the shop's threshold.

use serde::{Deserialize, Serialize};

use super::checkout::ShippingMethod;
use super::money::Vnd;
use super::regions::Region;

/// A variant with no weight of its own, in a product with no default weight, counts as this many
/// grams (a folded garment in its bag).
pub const FALLBACK_WEIGHT_GRAMS: i64 = 300;

/// The shop's shipping settings (Worker vars): the warehouse's province (`WAREHOUSE_PROVINCE_CODE`,
/// default Hồ Chí Minh City, "79") and the subtotal from which standard shipping in Vietnam is free
/// (`FREE_SHIPPING_FROM`). The fees themselves are D1 data (`shipping_rates`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShippingSettings {
    pub warehouse_province: String,
    pub free_standard_from: Vnd,
}

impl Default for ShippingSettings {
    fn default() -> Self {
        ShippingSettings { warehouse_province: "79".into(), free_standard_from: Vnd::new(1_000_000) }
    }
}

/// Where a parcel goes, seen from the warehouse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    /// The warehouse's own province.
    SameProvince,
    /// Another province of the warehouse's region (North, Central or South).
    SameRegion,
    /// A province of another region.
    OtherRegion,
    /// Outside Vietnam.
    International,
}

impl Zone {
    pub const ALL: [Zone; 4] = [Zone::SameProvince, Zone::SameRegion, Zone::OtherRegion, Zone::International];

    pub fn code(self) -> &'static str {
        match self {
            Zone::SameProvince => "same_province",
            Zone::SameRegion => "same_region",
            Zone::OtherRegion => "other_region",
            Zone::International => "international",
        }
    }

    pub fn parse(s: &str) -> Option<Zone> {
        Zone::ALL.into_iter().find(|z| z.code() == s)
    }
}

/// A place in Vietnam as shipping sees it: its province and that province's region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place<'a> {
    pub province_code: &'a str,
    pub region: Region,
}

/// The zone of a delivery to `to` (`None`: abroad) from a warehouse at `warehouse`.
pub fn zone(warehouse: Place<'_>, to: Option<Place<'_>>) -> Zone {
    match to {
        None => Zone::International,
        Some(to) if to.province_code == warehouse.province_code => Zone::SameProvince,
        Some(to) if to.region == warehouse.region => Zone::SameRegion,
        Some(_) => Zone::OtherRegion,
    }
}

/// One row of the rate table: up to `up_to_grams` (`None`: any weight) in `zone` by `method`
/// costs `fee` and arrives in `eta_min`–`eta_max` days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub zone: Zone,
    pub method: ShippingMethod,
    pub up_to_grams: Option<i64>,
    pub fee: Vnd,
    pub eta_min: i64,
    pub eta_max: i64,
}

/// A method offered for a parcel, with its fee (after the free-shipping threshold) and delivery
/// window in days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub method: ShippingMethod,
    pub fee: Vnd,
    pub eta_days: [i64; 2],
}

/// The weight a line counts for: the variant's own weight, else its product's default, else
/// `FALLBACK_WEIGHT_GRAMS`; times the quantity.
pub fn line_weight(variant_grams: i64, product_default_grams: i64, quantity: i64) -> i64 {
    let each = if variant_grams > 0 {
        variant_grams
    } else if product_default_grams > 0 {
        product_default_grams
    } else {
        FALLBACK_WEIGHT_GRAMS
    };
    each.saturating_mul(quantity.max(0))
}

/// The methods offered for `weight_grams` to `zone`, standard first: for each method, the row with
/// the smallest bracket that holds the weight (a method with no such row is not offered). Standard
/// shipping within Vietnam is free when `subtotal` reaches `free_standard_from`.
pub fn quote(rates: &[Rate], zone: Zone, weight_grams: i64, subtotal: Vnd, free_standard_from: Vnd) -> Vec<Quote> {
    [ShippingMethod::Standard, ShippingMethod::Express]
        .into_iter()
        .filter_map(|method| {
            let rate = rates
                .iter()
                .filter(|r| r.zone == zone && r.method == method && r.up_to_grams.is_none_or(|max| weight_grams <= max))
                .min_by_key(|r| r.up_to_grams.unwrap_or(i64::MAX))?;
            let free = method == ShippingMethod::Standard && zone != Zone::International && subtotal >= free_standard_from;
            Some(Quote { method, fee: if free { Vnd::ZERO } else { rate.fee }, eta_days: [rate.eta_min, rate.eta_max] })
        })
        .collect()
}

/// Why a rate row cannot be saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateProblem {
    Fee,
    Weight,
    Eta,
}

/// Checks a row a manager typed: a fee from 0 to 100.000.000 ₫, a positive bracket, and a window
/// `0 <= min <= max <= 90` days.
pub fn check_rate(rate: &Rate) -> Result<(), RateProblem> {
    if !(0..=100_000_000).contains(&rate.fee.minor()) {
        return Err(RateProblem::Fee);
    }
    if rate.up_to_grams.is_some_and(|g| !(1..=1_000_000).contains(&g)) {
        return Err(RateProblem::Weight);
    }
    if !(0..=90).contains(&rate.eta_min) || !(rate.eta_min..=90).contains(&rate.eta_max) {
        return Err(RateProblem::Eta);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ShippingMethod::{Express, Standard};

    const HCM: Place<'static> = Place { province_code: "79", region: Region::South };

    fn rate(zone: Zone, method: ShippingMethod, up_to: Option<i64>, fee: i64, eta: (i64, i64)) -> Rate {
        Rate { zone, method, up_to_grams: up_to, fee: Vnd::new(fee), eta_min: eta.0, eta_max: eta.1 }
    }

    fn table() -> Vec<Rate> {
        vec![
            rate(Zone::SameProvince, Standard, Some(500), 20_000, (1, 2)),
            rate(Zone::SameProvince, Standard, Some(2_000), 25_000, (1, 2)),
            rate(Zone::SameProvince, Standard, None, 50_000, (1, 3)),
            rate(Zone::SameProvince, Express, Some(2_000), 35_000, (0, 1)),
            rate(Zone::SameRegion, Standard, Some(500), 25_000, (2, 3)),
            rate(Zone::SameRegion, Standard, Some(2_000), 32_000, (2, 3)),
            rate(Zone::OtherRegion, Standard, Some(500), 30_000, (3, 5)),
            rate(Zone::OtherRegion, Standard, Some(2_000), 42_000, (3, 5)),
            rate(Zone::OtherRegion, Express, Some(500), 60_000, (2, 3)),
            rate(Zone::OtherRegion, Express, Some(2_000), 85_000, (2, 3)),
            rate(Zone::International, Standard, Some(2_000), 350_000, (7, 14)),
        ]
    }

    #[test]
    fn the_zone_follows_the_province_then_the_region() {
        let place = |code, region| Some(Place { province_code: code, region });
        assert_eq!(zone(HCM, place("79", Region::South)), Zone::SameProvince);
        assert_eq!(zone(HCM, place("80", Region::South)), Zone::SameRegion, "Tây Ninh is southern");
        assert_eq!(zone(HCM, place("48", Region::Central)), Zone::OtherRegion);
        assert_eq!(zone(HCM, place("01", Region::North)), Zone::OtherRegion);
        assert_eq!(zone(HCM, None), Zone::International);
        let hanoi = Place { province_code: "01", region: Region::North };
        assert_eq!(zone(hanoi, place("79", Region::South)), Zone::OtherRegion);
        assert_eq!(zone(hanoi, place("31", Region::North)), Zone::SameRegion);
    }

    #[test]
    fn each_zone_and_weight_bracket_has_its_fee_and_window() {
        let t = table();
        let fees = |zone, grams| quote(&t, zone, grams, Vnd::ZERO, Vnd::new(1_000_000)).iter().map(|q| (q.method, q.fee.minor(), q.eta_days)).collect::<Vec<_>>();
        assert_eq!(fees(Zone::SameProvince, 300), vec![(Standard, 20_000, [1, 2]), (Express, 35_000, [0, 1])]);
        assert_eq!(fees(Zone::SameProvince, 500), vec![(Standard, 20_000, [1, 2]), (Express, 35_000, [0, 1])], "a bracket includes its bound");
        assert_eq!(fees(Zone::SameProvince, 501), vec![(Standard, 25_000, [1, 2]), (Express, 35_000, [0, 1])]);
        assert_eq!(fees(Zone::SameProvince, 9_000), vec![(Standard, 50_000, [1, 3])], "the open bracket; express only up to 2 kg");
        assert_eq!(fees(Zone::SameRegion, 400), vec![(Standard, 25_000, [2, 3])], "no express in the region");
        assert_eq!(fees(Zone::SameRegion, 1_500), vec![(Standard, 32_000, [2, 3])]);
        assert_eq!(fees(Zone::SameRegion, 2_001), vec![], "heavier than any bracket: not offered");
        assert_eq!(fees(Zone::OtherRegion, 300), vec![(Standard, 30_000, [3, 5]), (Express, 60_000, [2, 3])]);
        assert_eq!(fees(Zone::OtherRegion, 1_200), vec![(Standard, 42_000, [3, 5]), (Express, 85_000, [2, 3])]);
        assert_eq!(fees(Zone::International, 1_000), vec![(Standard, 350_000, [7, 14])]);
    }

    #[test]
    fn standard_is_free_from_the_threshold_in_vietnam_only() {
        let t = table();
        let at = |zone, subtotal| quote(&t, zone, 300, Vnd::new(subtotal), Vnd::new(1_000_000)).iter().map(|q| q.fee.minor()).collect::<Vec<_>>();
        assert_eq!(at(Zone::OtherRegion, 999_999), vec![30_000, 60_000]);
        assert_eq!(at(Zone::OtherRegion, 1_000_000), vec![0, 60_000], "express is still charged");
        assert_eq!(at(Zone::SameProvince, 2_000_000), vec![0, 35_000]);
        assert_eq!(at(Zone::International, 5_000_000), vec![350_000]);
    }

    #[test]
    fn a_line_weighs_its_variant_else_its_product_default_else_the_fallback() {
        assert_eq!(line_weight(450, 800, 2), 900);
        assert_eq!(line_weight(0, 800, 2), 1_600);
        assert_eq!(line_weight(0, 0, 3), 3 * FALLBACK_WEIGHT_GRAMS);
        assert_eq!(line_weight(i64::MAX, 0, 2), i64::MAX, "saturates, never wraps");
    }

    #[test]
    fn a_manager_cannot_save_a_nonsense_row() {
        let ok = rate(Zone::SameRegion, Standard, Some(1_000), 30_000, (2, 3));
        assert_eq!(check_rate(&ok), Ok(()));
        assert_eq!(check_rate(&Rate { fee: Vnd::new(-1), ..ok.clone() }), Err(RateProblem::Fee));
        assert_eq!(check_rate(&Rate { up_to_grams: Some(0), ..ok.clone() }), Err(RateProblem::Weight));
        assert_eq!(check_rate(&Rate { up_to_grams: None, ..ok.clone() }), Ok(()));
        assert_eq!(check_rate(&Rate { eta_min: 4, ..ok.clone() }), Err(RateProblem::Eta));
        assert_eq!(check_rate(&Rate { eta_max: 91, ..ok }), Err(RateProblem::Eta));
    }
}
