//! Table-driven tests for every discount type and combination rule, the rounding rules, and
//! property tests over generated carts and promotions (a small deterministic generator: the
//! properties run the same cases on every machine, with no extra crate).

use super::engine::allocate;
use super::*;

/// `n` đồng.
fn d(n: i64) -> Vnd {
    Vnd::new(n)
}

const NOW: i64 = 1_795_600_000;

fn line(variant_id: i64, product_id: i64, unit_price: i64, quantity: i64) -> Line {
    Line { variant_id, product_id, categories: vec![10], collections: vec![], unit_price: d(unit_price), quantity, on_sale: false }
}

fn promo(id: i64, benefit: Benefit) -> Promotion {
    Promotion {
        id,
        name_vi: format!("KM {id}"),
        name_en: format!("Promo {id}"),
        automatic: true,
        active: true,
        benefit,
        target: Target::Order,
        exclusions: Exclusions::default(),
        conditions: Conditions::default(),
        priority: 0,
        combinable: true,
        usage: Usage::default(),
        per_customer_limit: None,
    }
}

fn coded(mut p: Promotion) -> Promotion {
    p.automatic = false;
    p
}

fn code(s: &str, promotion_id: i64) -> EnteredCode {
    EnteredCode { code: CouponCode::parse(s).unwrap(), found: Some(CodeInfo { promotion_id, usage: Usage::default() }) }
}

fn run(lines: &[Line], shipping: i64, promotions: &[Promotion], codes: &[EnteredCode], customer: &Customer) -> Pricing {
    price(&PricingInput { lines, shipping: d(shipping), promotions, codes, customer, now: NOW })
}

fn simple(lines: &[Line], promotions: &[Promotion]) -> Pricing {
    run(lines, 30_000, promotions, &[], &Customer::default())
}

#[test]
fn every_discount_type_gives_what_it_says() {
    let two_lines = [line(1, 1, 300_000, 2), line(2, 2, 200_000, 1)]; // 800.000 ₫
    let cases: Vec<(&str, Promotion, i64, i64)> = vec![
        // (what, promotion, items discount, shipping discount)
        ("10% off the order", promo(1, Benefit::PercentOff { percent: 10 }), 80_000, 0),
        ("fixed 50.000 off", promo(1, Benefit::AmountOff { amount: d(50_000) }), 50_000, 0),
        ("fixed amount larger than the order stops at the order", promo(1, Benefit::AmountOff { amount: d(5_000_000) }), 800_000, 0),
        ("free shipping", promo(1, Benefit::FreeShipping { max_discount: None }), 0, 30_000),
        ("shipping at most 20.000 off", promo(1, Benefit::FreeShipping { max_discount: Some(d(20_000)) }), 0, 20_000),
        ("shipping discount larger than shipping stops at shipping", promo(1, Benefit::FreeShipping { max_discount: Some(d(99_000)) }), 0, 30_000),
        ("buy 2 get 1 free: the cheapest unit", promo(1, Benefit::BuyXGetY { buy: 2, get: 1, percent: 100 }), 200_000, 0),
        ("buy 1 get 1 half price", promo(1, Benefit::BuyXGetY { buy: 1, get: 1, percent: 50 }), 100_000, 0),
        (
            "tiered spend takes the highest tier reached",
            promo(1, Benefit::TieredSpend { tiers: vec![Tier { min_subtotal: d(500_000), amount: d(30_000) }, Tier { min_subtotal: d(700_000), amount: d(70_000) }, Tier { min_subtotal: d(1_000_000), amount: d(150_000) }] }),
            70_000,
            0,
        ),
        ("tiered spend below every tier gives nothing", promo(1, Benefit::TieredSpend { tiers: vec![Tier { min_subtotal: d(1_000_000), amount: d(100_000) }] }), 0, 0),
        ("bundle of products 1 and 2 for 400.000", promo(1, Benefit::BundlePrice { products: vec![1, 2], price: d(400_000) }), 100_000, 0),
        ("bundle with a product missing gives nothing", promo(1, Benefit::BundlePrice { products: vec![1, 3], price: d(1) }), 0, 0),
        ("gift: variant 2 free above 500.000 of other items", promo(1, Benefit::Gift { variant_id: 2, min_subtotal: d(500_000) }), 200_000, 0),
        ("gift below its threshold gives nothing", promo(1, Benefit::Gift { variant_id: 2, min_subtotal: d(700_000) }), 0, 0),
    ];
    for (what, p, items, ship) in cases {
        let r = simple(&two_lines, &[p]);
        assert_eq!((r.items_discount, r.shipping_discount), (d(items), d(ship)), "{what}");
        assert_eq!(r.total, d(800_000 + 30_000 - items - ship), "{what}");
        assert_eq!(r.applied.len(), usize::from(items + ship > 0), "{what}");
        assert_eq!(Vnd::checked_sum(r.lines.iter().map(|l| l.discount)), Some(d(items)), "{what}: the lines carry the whole items discount");
    }
}

#[test]
fn targets_and_exclusions_choose_the_lines() {
    let mut lines = vec![line(1, 1, 100_000, 1), line(2, 2, 100_000, 1), line(3, 3, 100_000, 1)];
    lines[0].categories = vec![10, 11];
    lines[1].collections = vec![7];
    lines[2].on_sale = true;
    let ten = |target: Target, exclusions: Exclusions| Promotion { target, exclusions, ..promo(1, Benefit::PercentOff { percent: 10 }) };
    let cases = [
        ("a category reaches its subcategories' products", ten(Target::Categories(vec![11]), Exclusions::default()), vec![10_000, 0, 0]),
        ("a collection", ten(Target::Collections(vec![7]), Exclusions::default()), vec![0, 10_000, 0]),
        ("products", ten(Target::Products(vec![2, 3]), Exclusions::default()), vec![0, 10_000, 10_000]),
        ("variants", ten(Target::Variants(vec![3]), Exclusions::default()), vec![0, 0, 10_000]),
        ("not on sale items", ten(Target::Categories(vec![10]), Exclusions { on_sale: true, ..Exclusions::default() }), vec![10_000, 10_000, 0]),
        ("excluded product", ten(Target::Categories(vec![10]), Exclusions { products: vec![1], ..Exclusions::default() }), vec![0, 10_000, 10_000]),
        ("excluded variant", ten(Target::Categories(vec![10]), Exclusions { variants: vec![2], ..Exclusions::default() }), vec![10_000, 0, 10_000]),
    ];
    for (what, p, expected) in cases {
        assert_eq!(p.class(), Class::Product, "{what}");
        let r = simple(&lines, &[p]);
        let got: Vec<i64> = r.lines.iter().map(|l| l.discount.minor()).collect();
        assert_eq!(got, expected, "{what}");
    }
    // The whole order minus its exclusions is still the order class.
    let order = ten(Target::Order, Exclusions { on_sale: true, ..Exclusions::default() });
    assert_eq!(order.class(), Class::Order);
    assert_eq!(simple(&lines, &[order]).items_discount, d(20_000));
}

#[test]
fn conditions_refuse_a_code_with_a_typed_reason() {
    let lines = [line(1, 1, 300_000, 2)]; // 600.000 ₫, 2 units
    let known = Customer { known: true, keys: vec!["email:an@example.vn".into()], prior_orders: 1, uses: vec![(1, 2)], ..Customer::default() };
    let with = |f: &dyn Fn(&mut Promotion)| {
        let mut p = coded(promo(1, Benefit::PercentOff { percent: 10 }));
        f(&mut p);
        p
    };
    let cases: Vec<(&str, Promotion, Customer, Rejection)> = vec![
        ("disabled", with(&|p| p.active = false), Customer::default(), Rejection::Disabled),
        ("not started", with(&|p| p.conditions.starts_at = Some(NOW + 1)), Customer::default(), Rejection::NotStarted { starts_at: NOW + 1 }),
        ("ended (the end is exclusive)", with(&|p| p.conditions.ends_at = Some(NOW)), Customer::default(), Rejection::Expired { ended_at: NOW }),
        ("minimum subtotal", with(&|p| p.conditions.min_subtotal = Some(d(1_000_000))), Customer::default(), Rejection::MinSubtotal { required: d(1_000_000), missing: d(400_000) }),
        ("minimum quantity", with(&|p| p.conditions.min_quantity = Some(3)), Customer::default(), Rejection::MinQuantity { required: 3, missing: 1 }),
        ("used up", with(&|p| p.usage = Usage { used: 5, limit: Some(5) }), Customer::default(), Rejection::UsedUp),
        ("first order only", with(&|p| p.conditions.first_order_only = true), known.clone(), Rejection::FirstOrderOnly),
        ("signed-in customers only", with(&|p| p.conditions.eligibility = Eligibility::SignedIn), Customer::default(), Rejection::SignedInOnly),
        ("specific customers", with(&|p| p.conditions.eligibility = Eligibility::Customers(vec!["email:binh@example.vn".into()])), known.clone(), Rejection::NotForYou),
        ("per-customer limit", with(&|p| p.per_customer_limit = Some(2)), known.clone(), Rejection::CustomerLimit),
        ("nothing it targets is in the cart", with(&|p| p.target = Target::Products(vec![99])), Customer::default(), Rejection::NoEligibleItems),
    ];
    for (what, p, customer, expected) in cases {
        let r = run(&lines, 30_000, &[p], &[code("SALE10", 1)], &customer);
        assert_eq!(r.rejected, vec![RejectedCode { code: "SALE10".into(), rejection: expected }], "{what}");
        assert!(r.applied.is_empty(), "{what}");
        assert_eq!(r.total, d(630_000), "{what}");
    }
    // A free-shipping code on an order that ships free says so, not that it applies to nothing.
    let free = run(&lines, 0, &[coded(promo(1, Benefit::FreeShipping { max_discount: None }))], &[code("FREESHIP", 1)], &Customer::default());
    assert_eq!(free.rejected, vec![RejectedCode { code: "FREESHIP".into(), rejection: Rejection::ShippingAlreadyFree }]);
    let unknown = run(&lines, 0, &[], &[EnteredCode { code: CouponCode::parse("nope").unwrap(), found: None }], &Customer::default());
    assert_eq!(unknown.rejected[0].rejection, Rejection::UnknownCode);
    // A used-up code (its own limit) is refused even while its promotion has uses left.
    let single_use = EnteredCode { code: CouponCode::parse("ONE-1").unwrap(), found: Some(CodeInfo { promotion_id: 1, usage: Usage { used: 1, limit: Some(1) } }) };
    let r = run(&lines, 0, &[coded(promo(1, Benefit::PercentOff { percent: 10 }))], &[single_use], &Customer::default());
    assert_eq!(r.rejected[0].rejection, Rejection::UsedUp);
}

#[test]
fn customer_conditions_wait_for_checkout_while_the_buyer_is_unknown() {
    let lines = [line(1, 1, 300_000, 1)];
    let mut p = coded(promo(1, Benefit::PercentOff { percent: 10 }));
    p.conditions.first_order_only = true;
    p.conditions.eligibility = Eligibility::Customers(vec!["email:an@example.vn".into()]);
    p.per_customer_limit = Some(1);
    let in_cart = run(&lines, 0, std::slice::from_ref(&p), &[code("WELCOME", 1)], &Customer::default());
    assert_eq!(in_cart.items_discount, d(30_000));
    let first_time = Customer { known: true, keys: vec!["email:an@example.vn".into()], ..Customer::default() };
    assert_eq!(run(&lines, 0, std::slice::from_ref(&p), &[code("WELCOME", 1)], &first_time).items_discount, d(30_000));
}

#[test]
fn start_and_end_are_read_in_vietnam_time() {
    // Midnight on 28/11/2026 in Hà Nội is 17:00 UTC the day before.
    assert_eq!(parse_vn_datetime("2026-11-28T00:00"), parse_vn_datetime("2026-11-27T17:00:00Z"));
    assert_eq!(parse_vn_datetime("2026-11-28 00:00:00"), Some(1_795_798_800));
    assert_eq!(parse_vn_datetime("28/11/2026"), None);
    let mut p = promo(1, Benefit::PercentOff { percent: 20 });
    p.conditions.starts_at = parse_vn_datetime("2026-11-28T00:00");
    p.conditions.ends_at = parse_vn_datetime("2026-11-30T00:00");
    let at = |now| price(&PricingInput { lines: &[line(1, 1, 100_000, 1)], shipping: Vnd::ZERO, promotions: std::slice::from_ref(&p), codes: &[], customer: &Customer::default(), now }).items_discount.minor();
    assert_eq!(at(1_795_798_800 - 1), 0, "one second before midnight in Vietnam");
    assert_eq!(at(1_795_798_800), 20_000);
    assert_eq!(at(1_795_798_800 + 2 * 86_400 - 1), 20_000);
    assert_eq!(at(1_795_798_800 + 2 * 86_400), 0, "the end is exclusive");
}

#[test]
fn combination_rules_by_class_priority_and_flag() {
    let lines = [line(1, 1, 500_000, 2)]; // 1.000.000 ₫
    let pct = |id, percent, priority, combinable| Promotion { priority, combinable, ..promo(id, Benefit::PercentOff { percent }) };
    let on_product = |mut p: Promotion| {
        p.target = Target::Products(vec![1]);
        p
    };
    let ship = |id, combinable| Promotion { combinable, ..promo(id, Benefit::FreeShipping { max_discount: None }) };
    struct Case {
        what: &'static str,
        promotions: Vec<Promotion>,
        codes: Vec<EnteredCode>,
        applied: Vec<i64>,
        rejected: Vec<(&'static str, &'static str)>,
    }
    let cases = vec![
        Case { what: "two combinable order discounts stack", promotions: vec![pct(1, 10, 0, true), pct(2, 5, 0, true)], codes: vec![], applied: vec![1, 2], rejected: vec![] },
        Case { what: "a non-combinable one applies alone in its class; priority picks it", promotions: vec![pct(1, 10, 0, true), pct(2, 5, 9, false)], codes: vec![], applied: vec![2], rejected: vec![] },
        Case { what: "a non-combinable one of lower priority is left out", promotions: vec![pct(1, 10, 5, true), pct(2, 50, 0, false)], codes: vec![], applied: vec![1], rejected: vec![] },
        Case { what: "equal priority: the lower id first", promotions: vec![pct(2, 10, 0, false), pct(1, 5, 0, false)], codes: vec![], applied: vec![1], rejected: vec![] },
        Case { what: "different classes stack even when not combinable", promotions: vec![on_product(pct(1, 10, 0, false)), pct(2, 10, 0, false), ship(3, false)], codes: vec![], applied: vec![1, 2, 3], rejected: vec![] },
        Case {
            what: "one code per order unless both are combinable",
            promotions: vec![coded(on_product(pct(1, 10, 0, false))), coded(ship(2, true))],
            codes: vec![code("TENOFF", 1), code("SHIPFREE", 2)],
            applied: vec![1],
            rejected: vec![("SHIPFREE", "not_combinable")],
        },
        Case {
            what: "two combinable codes of different classes both apply",
            promotions: vec![coded(on_product(pct(1, 10, 0, true))), coded(ship(2, true))],
            codes: vec![code("TENOFF", 1), code("SHIPFREE", 2)],
            applied: vec![1, 2],
            rejected: vec![],
        },
        Case {
            what: "a code cannot join a non-combinable automatic promotion of its class",
            promotions: vec![pct(1, 10, 5, false), coded(pct(2, 20, 0, true))],
            codes: vec![code("TWENTY", 2)],
            applied: vec![1],
            rejected: vec![("TWENTY", "not_combinable")],
        },
        Case {
            what: "two codes of one promotion count once",
            promotions: vec![coded(pct(1, 10, 0, true))],
            codes: vec![code("AAA-1", 1), code("AAA-2", 1)],
            applied: vec![1],
            rejected: vec![("AAA-2", "already_applied")],
        },
    ];
    for c in cases {
        let r = run(&lines, 30_000, &c.promotions, &c.codes, &Customer::default());
        let applied: Vec<i64> = r.applied.iter().map(|a| a.promotion_id).collect();
        assert_eq!(applied, c.applied, "{}", c.what);
        let rejected: Vec<(&str, &str)> = r.rejected.iter().map(|x| (x.code.as_str(), x.rejection.code())).collect();
        assert_eq!(rejected, c.rejected, "{}", c.what);
    }
}

#[test]
fn stacked_discounts_apply_in_class_order_on_what_is_left() {
    let lines = [line(1, 1, 500_000, 2)];
    let mut product = promo(1, Benefit::PercentOff { percent: 10 });
    product.target = Target::Products(vec![1]);
    let order = promo(2, Benefit::AmountOff { amount: d(100_000) });
    let r = simple(&lines, &[order, product]);
    // 1.000.000 − 10% = 900.000, then − 100.000 = 800.000; shipping untouched.
    assert_eq!(r.applied.iter().map(|a| (a.class, a.amount)).collect::<Vec<_>>(), vec![(Class::Product, d(100_000)), (Class::Order, d(100_000))]);
    assert_eq!(r.total, d(830_000));
    assert_eq!(r.lines[0].shares, vec![Share { promotion_id: 1, amount: d(100_000) }, Share { promotion_id: 2, amount: d(100_000) }]);
}

#[test]
fn rounding_is_down_to_the_minor_unit_and_shares_add_up() {
    // VND: 15% of 99.999 ₫ is 14.999,85 ₫ → 14.999 ₫.
    assert_eq!(simple(&[line(1, 1, 99_999, 1)], &[promo(1, Benefit::PercentOff { percent: 15 })]).items_discount, d(14_999));
    // USD cents: 33% of $10.01 is 330.33 cents → $3.30.
    assert_eq!(simple(&[line(1, 1, 1_001, 1)], &[promo(1, Benefit::PercentOff { percent: 33 })]).items_discount, d(330));
    // 100 split over three equal lines: 34 + 33 + 33 (the earlier line takes the odd unit).
    assert_eq!(allocate(d(100), &[d(1), d(1), d(1)]), vec![d(34), d(33), d(33)]);
    assert_eq!(allocate(d(10), &[d(0), d(5), d(0)]), vec![d(0), d(10), d(0)]);
    assert_eq!(allocate(d(7), &[]), Vec::<Vnd>::new());
    // An order discount on three lines of 1 ₫, 2 ₫, 3 ₫ with 5 ₫ off: each share ≤ its line.
    let r = simple(&[line(1, 1, 1, 1), line(2, 2, 2, 1), line(3, 3, 3, 1)], &[promo(1, Benefit::AmountOff { amount: d(5) })]);
    assert_eq!(r.lines.iter().map(|l| l.discount).collect::<Vec<_>>(), vec![d(1), d(2), d(2)]);
}

#[test]
fn coupon_codes_are_normalised() {
    assert_eq!(CouponCode::parse("  sale-10 ").unwrap().as_str(), "SALE-10");
    for bad in ["", "ab", "has space", "ÉTÉ2026", &"X".repeat(33), "semi;colon"] {
        assert!(CouponCode::parse(bad).is_none(), "{bad}");
    }
}

#[test]
fn an_owner_cannot_save_a_promotion_that_can_never_work() {
    assert!(promo(1, Benefit::PercentOff { percent: 10 }).problems().is_empty());
    assert_eq!(promo(1, Benefit::PercentOff { percent: 0 }).problems(), vec!["benefit"]);
    assert_eq!(promo(1, Benefit::BuyXGetY { buy: 0, get: 1, percent: 100 }).problems(), vec!["benefit"]);
    let mut p = promo(1, Benefit::AmountOff { amount: d(1) });
    p.conditions.starts_at = Some(10);
    p.conditions.ends_at = Some(10);
    assert_eq!(p.problems(), vec!["ends_at"]);
}

// ---------------------------------------------------------------------------------------------
// Properties over generated carts and promotions
// ---------------------------------------------------------------------------------------------

/// xorshift64*: small, deterministic, good enough to spread cases.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
    fn bool(&mut self) -> bool {
        self.next().is_multiple_of(2)
    }
    fn lines(&mut self) -> Vec<Line> {
        (0..self.int(0, 5))
            .map(|i| Line {
                variant_id: i + 1,
                product_id: self.int(1, 4),
                categories: vec![self.int(1, 3)],
                collections: vec![self.int(1, 3)],
                unit_price: d(self.int(0, 2_000_000)),
                quantity: self.int(1, 10),
                on_sale: self.bool(),
            })
            .collect()
    }
    fn promotion(&mut self, id: i64, combinable: bool) -> Promotion {
        let benefit = match self.int(0, 6) {
            0 => Benefit::PercentOff { percent: self.int(1, 100) as u8 },
            1 => Benefit::AmountOff { amount: d(self.int(1, 1_500_000)) },
            2 => Benefit::FreeShipping { max_discount: self.bool().then(|| d(self.int(1, 80_000))) },
            3 => Benefit::BuyXGetY { buy: self.int(1, 3) as u32, get: self.int(1, 2) as u32, percent: self.int(1, 100) as u8 },
            4 => Benefit::TieredSpend { tiers: (0..self.int(1, 3)).map(|_| Tier { min_subtotal: d(self.int(0, 3_000_000)), amount: d(self.int(1, 500_000)) }).collect() },
            5 if self.int(0, 1) == 0 => Benefit::BundlePrice { products: vec![self.int(1, 4), self.int(1, 4)], price: d(self.int(0, 2_000_000)) },
            5 => Benefit::BundlePercent { products: vec![self.int(1, 4), self.int(1, 4), self.int(1, 4)], percent: u8::try_from(self.int(1, 100)).unwrap() },
            _ => Benefit::Gift { variant_id: self.int(1, 5), min_subtotal: d(self.int(0, 2_000_000)) },
        };
        let target = match self.int(0, 4) {
            0 | 1 => Target::Order,
            2 => Target::Categories(vec![self.int(1, 3)]),
            3 => Target::Collections(vec![self.int(1, 3)]),
            _ => Target::Products(vec![self.int(1, 4)]),
        };
        Promotion {
            id,
            priority: self.int(0, 3),
            combinable,
            target,
            exclusions: Exclusions { on_sale: self.bool(), ..Exclusions::default() },
            conditions: Conditions { min_subtotal: self.bool().then(|| d(self.int(0, 2_000_000))), ..Conditions::default() },
            ..promo(id, benefit)
        }
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.int(0, i as i64) as usize;
            v.swap(i, j);
        }
    }
}

const CASES: u64 = 3_000;

fn invariants(r: &Pricing, shipping: i64) {
    // The generated figures are far from i64's bounds, so plain arithmetic on đồng is exact here.
    let (total, subtotal, shipped, discount) = (r.total.minor(), r.subtotal.minor(), r.shipping.minor(), r.discount.minor());
    assert!(total >= 0 && discount >= 0 && !r.items_discount.is_negative());
    assert!(!r.shipping_discount.is_negative() && r.shipping_discount.minor() <= shipping, "shipping discount ≤ shipping");
    assert!(total <= subtotal + shipped, "a discount never adds to the price");
    assert_eq!(total, subtotal + shipped - discount);
    for l in &r.lines {
        assert!(!l.total.is_negative() && !l.discount.is_negative() && l.discount <= l.subtotal, "{l:?}");
        assert_eq!(Vnd::checked_sum(l.shares.iter().map(|s| s.amount)), Some(l.discount), "shares add up to the line's discount");
    }
    let applied_items = Vnd::checked_sum(r.applied.iter().filter(|a| a.class != Class::Shipping).map(|a| a.amount));
    assert_eq!(applied_items, Some(r.items_discount), "what applied is what the lines carry");
}

#[test]
fn property_money_never_goes_negative_and_shipping_discount_never_exceeds_shipping() {
    let mut g = Gen(0x5EED_0001);
    for _ in 0..CASES {
        let lines = g.lines();
        let shipping = g.int(0, 100_000);
        let promotions: Vec<Promotion> = (1..=g.int(0, 6)).map(|id| { let c = g.bool(); g.promotion(id, c) }).collect();
        invariants(&run(&lines, shipping, &promotions, &[], &Customer::default()), shipping);
    }
}

#[test]
fn property_evaluation_order_does_not_change_the_result() {
    let mut g = Gen(0x5EED_0002);
    for _ in 0..CASES {
        let lines = g.lines();
        let mut promotions: Vec<Promotion> = (1..=g.int(1, 6)).map(|id| { let c = g.bool(); g.promotion(id, c) }).collect();
        // Some of them as codes, entered in some order.
        let mut codes = Vec::new();
        for p in promotions.iter_mut() {
            if g.bool() {
                p.automatic = false;
                codes.push(code(&format!("CODE{}", p.id), p.id));
            }
        }
        let first = run(&lines, 30_000, &promotions, &codes, &Customer::default());
        g.shuffle(&mut promotions);
        g.shuffle(&mut codes);
        assert_eq!(run(&lines, 30_000, &promotions, &codes, &Customer::default()), first);
    }
}

#[test]
fn property_adding_a_discount_never_raises_the_total() {
    let mut g = Gen(0x5EED_0003);
    for _ in 0..CASES {
        let lines = g.lines();
        let shipping = g.int(0, 100_000);
        // Combinable promotions always stack, so one more can only take more off.
        let mut promotions: Vec<Promotion> = (1..=g.int(0, 5)).map(|id| g.promotion(id, true)).collect();
        let before = run(&lines, shipping, &promotions, &[], &Customer::default());
        promotions.push(g.promotion(99, true));
        let after = run(&lines, shipping, &promotions, &[], &Customer::default());
        assert!(after.total <= before.total, "{} > {} with {:?}", after.total.minor(), before.total.minor(), promotions.last());
        invariants(&after, shipping);
    }
}

#[test]
fn bulk_codes_are_distinct_valid_and_prefixed() {
    let mut g = Gen(42);
    let codes = generate_codes("BF26", 500, &mut || (g.next() >> 56) as u8);
    assert_eq!(codes.len(), 500);
    let distinct: std::collections::BTreeSet<&String> = codes.iter().collect();
    assert_eq!(distinct.len(), 500);
    for c in &codes {
        assert!(c.starts_with("BF26-") && c.len() == 13, "{c}");
        assert_eq!(CouponCode::parse(c).unwrap().as_str(), c);
        assert!(!c[5..].contains(['0', 'O', '1', 'I', 'L']), "{c}");
    }
    // Broken randomness cannot loop forever.
    assert_eq!(generate_codes("X", 10, &mut || 0).len(), 1);
    assert_eq!(parse_code_prefix(" bf26- ").as_deref(), Some("BF26"));
    assert_eq!(parse_code_prefix("no space"), None);
}

#[test]
fn the_schedule_epoch_moves_exactly_at_each_start_and_end() {
    let schedule = "100,200,junk,300";
    assert_eq!(schedule_epoch(schedule, 99), 0);
    assert_eq!(schedule_epoch(schedule, 100), 1);
    assert_eq!(schedule_epoch(schedule, 299), 2);
    assert_eq!(schedule_epoch(schedule, 300), 3);
    assert_eq!(schedule_epoch("", 300), 0);
}

#[test]
fn a_promotion_status_reads_and_writes_the_stored_text() {
    assert_eq!(PromotionStatus::ALL.map(PromotionStatus::code), ["active", "disabled"], "as the CHECK constraint has them");
    for s in PromotionStatus::ALL {
        assert_eq!(PromotionStatus::parse(s.code()), Some(s));
        assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.code()));
        assert_eq!(serde_json::from_value::<PromotionStatus>(serde_json::json!(s.code())).unwrap(), s);
        assert_eq!(PromotionStatus::switched(s.is_on()), s);
    }
    assert_eq!(PromotionStatus::parse("on"), None);
}

// ---------------------------------------------------------------------------------------------
// Bundles ("Mua kèm giảm 10%"): a set is one unit of each product, any variant.
// ---------------------------------------------------------------------------------------------

fn bundle_percent(id: i64, products: &[i64], percent: u8) -> Promotion {
    Promotion { target: Target::Products(products.to_vec()), ..promo(id, Benefit::BundlePercent { products: products.to_vec(), percent }) }
}

#[test]
fn a_bundle_applies_per_complete_set_of_its_products_whatever_the_variants() {
    let ten = bundle_percent(1, &[1, 2, 3], 10);
    // (what, lines, items discount)
    let cases: Vec<(&str, Vec<Line>, i64)> = vec![
        ("one complete set", vec![line(11, 1, 300_000, 1), line(21, 2, 200_000, 1), line(31, 3, 100_000, 1)], 60_000),
        ("a partial set gives nothing", vec![line(11, 1, 300_000, 1), line(21, 2, 200_000, 1)], 0),
        ("two of one product and one of the others: still one set", vec![line(11, 1, 300_000, 2), line(21, 2, 200_000, 1), line(31, 3, 100_000, 1)], 60_000),
        ("two sets", vec![line(11, 1, 300_000, 2), line(21, 2, 200_000, 2), line(31, 3, 100_000, 2)], 120_000),
        (
            "two sets in different variants (sizes, colours) of each product",
            vec![line(11, 1, 300_000, 1), line(12, 1, 300_000, 1), line(21, 2, 200_000, 1), line(22, 2, 200_000, 1), line(31, 3, 100_000, 2)],
            120_000,
        ),
        (
            "variants priced differently: the cheapest units make the sets",
            vec![line(11, 1, 300_000, 1), line(12, 1, 350_000, 1), line(21, 2, 200_000, 1), line(31, 3, 100_000, 1)],
            60_000,
        ),
        ("lines of other products are untouched", vec![line(11, 1, 300_000, 1), line(21, 2, 200_000, 1), line(31, 3, 100_000, 1), line(41, 4, 500_000, 1)], 60_000),
    ];
    for (what, lines, expected) in cases {
        let r = simple(&lines, std::slice::from_ref(&ten));
        assert_eq!(r.items_discount, d(expected), "{what}");
        assert_eq!(r.applied.len(), usize::from(expected > 0), "{what}");
        if let Some(a) = r.applied.first() {
            assert!(a.lines.iter().all(|v| *v != 41), "{what}: the bundle touches only its products' lines");
        }
        invariants(&r, 30_000);
    }
}

#[test]
fn a_bundle_price_is_per_set_and_never_raises_a_price() {
    let for_450 = Promotion { target: Target::Products(vec![1, 2]), ..promo(1, Benefit::BundlePrice { products: vec![1, 2], price: d(450_000) }) };
    let two_sets = [line(11, 1, 300_000, 2), line(21, 2, 200_000, 2)];
    assert_eq!(simple(&two_sets, std::slice::from_ref(&for_450)).items_discount, d(100_000), "50.000 off each of two sets");
    let dearer = Promotion { benefit: Benefit::BundlePrice { products: vec![1, 2], price: d(600_000) }, ..for_450 };
    assert_eq!(simple(&two_sets, &[dearer]).items_discount, Vnd::ZERO, "a bundle price above the items' price gives nothing");
}

#[test]
fn a_percentage_bundle_rounds_each_set_down_to_the_dong_and_its_shares_add_up() {
    // 10% of 99.999 ₫ is 9.999,9 ₫: 9.999 ₫ off the set, split over its lines by what each costs.
    let lines = [line(11, 1, 33_333, 1), line(21, 2, 66_666, 1)];
    let r = simple(&lines, &[bundle_percent(1, &[1, 2], 10)]);
    assert_eq!(r.items_discount, d(9_999));
    let shares: Vec<i64> = r.lines.iter().map(|l| l.discount.minor()).collect();
    assert_eq!(shares, vec![3_333, 6_666]);
    // Two sets are rounded one by one: 2 × 9.999, one đồng less than 10% of both sets together.
    let two = [line(11, 1, 33_333, 2), line(21, 2, 66_666, 2)];
    assert_eq!(simple(&two, &[bundle_percent(1, &[1, 2], 10)]).items_discount, d(19_998));
}

#[test]
fn a_bundle_stacks_with_an_order_coupon_which_takes_its_percent_of_what_is_left() {
    let lines = [line(11, 1, 300_000, 1), line(21, 2, 200_000, 1), line(41, 4, 500_000, 1)]; // 1.000.000 ₫
    let coupon = coded(promo(2, Benefit::PercentOff { percent: 10 }));
    let r = run(&lines, 30_000, &[bundle_percent(1, &[1, 2], 10), coupon], &[code("VESTIFY10", 2)], &Customer::default());
    // The bundle (product class) first: 50.000 ₫ off the set; the code (order class) then takes 10%
    // of the 950.000 ₫ left: 95.000 ₫.
    assert_eq!(r.applied.iter().map(|a| (a.promotion_id, a.amount.minor())).collect::<Vec<_>>(), vec![(1, 50_000), (2, 95_000)]);
    assert_eq!(r.items_discount, d(145_000));
    assert!(r.rejected.is_empty());
}

#[test]
fn a_product_coupon_meets_a_bundle_by_the_engines_combination_rules() {
    let lines = [line(11, 1, 300_000, 1), line(21, 2, 200_000, 1)];
    // Both combinable: the code takes its 20% of what the bundle left of product 1's line.
    let product_code = Promotion { target: Target::Products(vec![1]), ..coded(promo(2, Benefit::PercentOff { percent: 20 })) };
    let r = run(&lines, 0, &[bundle_percent(1, &[1, 2], 10), product_code.clone()], &[code("AO20", 2)], &Customer::default());
    assert_eq!(r.items_discount, d(50_000 + 54_000), "10% of the set, then 20% of the 270.000 ₫ left of line 1");
    // A code that does not combine is refused in the product class once the bundle applied.
    let alone = Promotion { combinable: false, ..product_code };
    let r = run(&lines, 0, &[bundle_percent(1, &[1, 2], 10), alone], &[code("AO20", 2)], &Customer::default());
    assert_eq!(r.items_discount, d(50_000));
    assert!(matches!(r.rejected.first().map(|x| &x.rejection), Some(Rejection::NotCombinable { .. })));
}

#[test]
fn a_bundle_outside_its_dates_or_switched_off_gives_nothing() {
    let lines = [line(11, 1, 300_000, 1), line(21, 2, 200_000, 1)];
    let mut later = bundle_percent(1, &[1, 2], 10);
    later.conditions.starts_at = Some(NOW + 1);
    let mut over = bundle_percent(1, &[1, 2], 10);
    over.conditions.ends_at = Some(NOW);
    let off = Promotion { active: false, ..bundle_percent(1, &[1, 2], 10) };
    for p in [later, over, off] {
        assert_eq!(simple(&lines, &[p]).items_discount, Vnd::ZERO);
    }
    assert_eq!(bundle_percent(1, &[1], 10).problems(), vec!["benefit"], "a bundle needs two products");
    assert_eq!(bundle_percent(1, &[1, 2], 0).problems(), vec!["benefit"]);
}
