//! Bundles over SQLite with the real migrations: the manager's writes (each audited), the product
//! page's offers, the shopper's picks, the cart's all-or-nothing "add all" (also under a race for
//! the last unit), and the bundle's discount in the cart and on the order.

use super::*;
use crate::app::cart::fixtures::{request, Shop, NOW};
use crate::app::cart::{add_all, set_quantity, CartError};
use crate::app::checkout::{place_order, Submission};
use crate::app::testing::block_on;
use crate::domain::cart::Cart;
use crate::domain::locale::Locale;

const ACTOR: Actor<'static> = Actor { id: "7", email: "manager@vestify.vn", ip: "203.0.113.9" };

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Product ids and one sellable variant of each of the first `n` demo products that have one.
fn products(shop: &Shop, n: usize) -> Vec<(i64, i64)> {
    (0..n as i64 * 40)
        .map(|k| shop.variant(k, 5))
        .map(|v| (shop.db.int(&format!("SELECT product_id FROM variants WHERE id = {v}")), v))
        .fold(Vec::<(i64, i64)>::new(), |mut acc, (p, v)| {
            if acc.len() < n && !acc.iter().any(|(q, _)| *q == p) {
                acc.push((p, v));
            }
            acc
        })
}

/// Creates a "10% off together" bundle of these products through the manager's batch; its id.
fn bundle(shop: &Shop, of: &[i64], extra: &[(&str, &str)]) -> i64 {
    let ids: Vec<String> = of.iter().map(i64::to_string).collect();
    let mut pairs = vec![("name_vi", "Mua kèm giảm 10%"), ("name_en", "10% off together"), ("kind", "percent"), ("percent", "10")];
    pairs.extend(ids.iter().map(|id| ("product", id.as_str())));
    pairs.extend_from_slice(extra);
    let p = read_form(&form(&pairs)).unwrap();
    block_on(shop.db.batch(&create_batch(&ACTOR, &p, NOW))).unwrap();
    shop.db.int("SELECT MAX(id) FROM promotions")
}

fn price_of(shop: &Shop, variant: i64) -> i64 {
    shop.db.int(&format!("SELECT price FROM variants WHERE id = {variant}"))
}

#[test]
fn the_managers_form_refuses_what_cannot_be_a_bundle() {
    let base = [("name_vi", "Combo"), ("name_en", "Combo"), ("kind", "percent"), ("percent", "10")];
    let with = |extra: &[(&str, &str)]| {
        let mut pairs = base.to_vec();
        pairs.extend_from_slice(extra);
        read_form(&form(&pairs)).err().unwrap_or_default().into_iter().map(|e| e.field).collect::<Vec<_>>()
    };
    assert_eq!(with(&[("product", "1"), ("product", "2")]), Vec::<&str>::new());
    assert_eq!(with(&[("product", "1")]), vec!["product"], "one product is not a bundle");
    let six: Vec<(&str, &str)> = ["1", "2", "3", "4", "5", "6"].iter().map(|p| ("product", *p)).collect();
    assert_eq!(with(&six), vec!["product"], "at most five");
    assert_eq!(with(&[("product", "1"), ("product", "1"), ("product", "2")]), vec!["product"], "a product picked twice");
    let zero = read_form(&form(&[("name_vi", "A"), ("name_en", "A"), ("kind", "percent"), ("percent", "0"), ("product", "1"), ("product", "2")]));
    assert_eq!(zero.err().unwrap_or_default().into_iter().map(|e| e.field).collect::<Vec<_>>(), vec!["percent"], "0% is no offer");
    assert_eq!(with(&[("product", "1"), ("product", "2"), ("starts_at", "2027-01-02T00:00"), ("ends_at", "2027-01-01T00:00")]), vec!["ends_at"]);
    let price = read_form(&form(&[("name_vi", "A"), ("name_en", "A"), ("kind", "price"), ("price", "1.200.000 ₫"), ("product", "1"), ("product", "2")])).unwrap();
    assert_eq!(price.benefit, Benefit::BundlePrice { products: vec![1, 2], price: Vnd::new(1_200_000) });
    assert_eq!(price.target, Target::Products(vec![1, 2]), "badges reach only the bundle's products");
    assert!(price.automatic && price.combinable);
}

#[test]
fn a_manager_creates_edits_and_removes_a_bundle_and_each_write_is_audited() {
    let shop = Shop::demo();
    let ps = products(&shop, 3);
    let id = bundle(&shop, &[ps[0].0, ps[1].0], &[]);
    assert_eq!(shop.db.text(&format!("SELECT group_concat(product_id) FROM (SELECT product_id FROM bundle_products WHERE promotion_id = {id} ORDER BY position)")), format!("{},{}", ps[0].0, ps[1].0));
    assert_eq!(shop.db.text("SELECT action || ':' || entity_id FROM audit_log WHERE entity = 'bundle'"), format!("bundle.create:{id}"));
    let [rows, names] = expect_n::<2>(block_on(shop.db.batch(&list_batch())).unwrap(), "list").unwrap();
    assert_eq!(rows.decode::<PromotionRow>().unwrap().len(), 1);
    assert_eq!(names.decode::<BundleProductRow>().unwrap().len(), 2);

    // Edit: a third product and a price instead of a percentage.
    let before = block_on(shop.db.all::<PromotionRow>(&bundle_sql(id))).unwrap()[0].promotion().unwrap();
    let three: Vec<String> = ps.iter().map(|p| p.0.to_string()).collect();
    let mut pairs = vec![("name_vi", "Bộ ba"), ("name_en", "Trio"), ("kind", "price"), ("price", "900000")];
    pairs.extend(three.iter().map(|p| ("product", p.as_str())));
    let edited = read_form(&form(&pairs)).unwrap();
    block_on(shop.db.batch(&update_batch(&ACTOR, id, &before, &edited, NOW + 5))).unwrap();
    assert_eq!(shop.db.int(&format!("SELECT COUNT(*) FROM bundle_products WHERE promotion_id = {id}")), 3);
    assert_eq!(shop.db.text(&format!("SELECT json_extract(rule, '$.benefit.type') FROM promotions WHERE id = {id}")), "bundle_price");
    assert_eq!(shop.db.int("SELECT COUNT(*) FROM audit_log WHERE action = 'bundle.update'"), 1);

    // An ordinary promotion is not a bundle: the bundle batches leave it alone.
    let other = shop.db.int("SELECT MIN(id) FROM promotions");
    block_on(shop.db.batch(&update_batch(&ACTOR, other, &before, &edited, NOW + 6))).unwrap();
    assert_eq!(shop.db.int("SELECT COUNT(*) FROM audit_log WHERE action = 'bundle.update'"), 1, "no change, no audit row");
    assert_eq!(shop.db.int(&format!("SELECT COUNT(*) FROM bundle_products WHERE promotion_id = {other}")), 0);

    // Removed: never used, so it is gone with its products.
    block_on(shop.db.batch(&remove_batch(&ACTOR, id, &edited, NOW + 7))).unwrap();
    assert_eq!(shop.db.int(&format!("SELECT COUNT(*) FROM promotions WHERE id = {id}")), 0);
    assert_eq!(shop.db.int("SELECT COUNT(*) FROM bundle_products"), 0);
    assert_eq!(shop.db.text("SELECT group_concat(action) FROM audit_log WHERE entity = 'bundle' AND action IN ('bundle.delete', 'bundle.disable')"), "bundle.delete");
}

#[test]
fn the_product_page_offers_a_live_bundle_with_its_items_variants_and_totals() {
    let shop = Shop::demo();
    let ps = products(&shop, 2);
    bundle(&shop, &[ps[0].0, ps[1].0], &[]);
    bundle(&shop, &[ps[0].0, ps[1].0], &[("starts_at", "2099-01-01T00:00")]);
    let slug = shop.db.text(&format!("SELECT slug FROM products WHERE id = {}", ps[1].0));
    let [bundles, rows] = expect_n::<2>(block_on(shop.db.batch(&offers_batch(&slug))).unwrap(), "offers").unwrap();
    let offers = offers_from(bundles.decode().unwrap(), &rows.decode::<OfferRow>().unwrap());
    assert_eq!(offers.len(), 2, "both are switched on; the page shows the live one");
    let live: Vec<&Offer> = offers.iter().filter(|o| o.live_at(NOW)).collect();
    assert_eq!(live.len(), 1);
    let offer = live[0];
    assert_eq!(offer.items.iter().map(|i| i.product_id).collect::<Vec<_>>(), vec![ps[0].0, ps[1].0], "in the manager's order");
    assert!(offer.items.iter().all(|i| !i.variants.is_empty() && i.variants.iter().all(|v| v.product_id == i.product_id)));
    let picks = offer.default_picks();
    let (before, after) = offer.totals(&picks);
    let sum: i64 = picks.iter().map(|v| v.price.minor()).sum();
    assert_eq!(before, Vnd::new(sum));
    assert_eq!(after, Vnd::new(sum - sum / 10), "10% off, rounded down to the đồng");
}

#[test]
fn the_shoppers_picks_must_be_one_variant_of_each_product_of_a_live_bundle() {
    let shop = Shop::demo();
    let ps = products(&shop, 3);
    let id = bundle(&shop, &[ps[0].0, ps[1].0], &[]);
    let pick = |picks: &[i64], now: i64| block_on(selection(&shop.db, id, picks, now)).map(|(_, v)| v);
    assert_eq!(pick(&[ps[1].1, ps[0].1], NOW).unwrap(), vec![ps[0].1, ps[1].1], "in the bundle's order");
    assert!(matches!(pick(&[ps[0].1], NOW), Err(AppError::Invalid(_))), "a product missing");
    assert!(matches!(pick(&[ps[0].1, ps[2].1], NOW), Err(AppError::Invalid(_))), "a product not in the bundle");
    assert!(matches!(pick(&[ps[0].1, ps[1].1, ps[2].1], NOW), Err(AppError::Invalid(_))), "one too many");
    assert!(matches!(block_on(selection(&shop.db, id + 1000, &[ps[0].1, ps[1].1], NOW)), Err(AppError::NotFound)));
    let ended = bundle(&shop, &[ps[0].0, ps[1].0], &[("ends_at", "2020-01-01T00:00")]);
    assert!(matches!(block_on(selection(&shop.db, ended, &[ps[0].1, ps[1].1], NOW)), Err(AppError::Conflict(_))));
}

#[test]
fn add_all_holds_every_item_and_the_cart_prices_the_bundle() {
    let shop = Shop::demo();
    let ps = products(&shop, 2);
    let id = bundle(&shop, &[ps[0].0, ps[1].0], &[]);
    let (a, b) = (ps[0].1, ps[1].1);
    let cart_id = Shop::cart_id(1);
    let mut cart = Cart::default();
    let view = block_on(add_all(&shop.at(&cart_id, NOW), &mut cart, &[a, b])).unwrap();
    assert_eq!(view.lines.iter().map(|l| (l.variant_id, l.quantity, l.held)).collect::<Vec<_>>(), vec![(a, 1, 1), (b, 1, 1)]);
    assert_eq!((shop.reserved(a), shop.reserved(b)), (1, 1));
    let bundled = view.discounts.applied.iter().find(|x| x.promotion_id == id).expect("the bundle applies");
    assert_eq!(bundled.amount.minor(), (price_of(&shop, a) + price_of(&shop, b)) / 10);
    assert_eq!(bundled.lines, vec![a, b]);

    // Adding the bundle again: each line takes one more, through one new hold per line.
    let view = block_on(add_all(&shop.at(&cart_id, NOW + 1), &mut cart, &[a, b])).unwrap();
    assert_eq!(view.lines.iter().map(|l| (l.quantity, l.held)).collect::<Vec<_>>(), vec![(2, 2), (2, 2)]);
    assert_eq!((shop.reserved(a), shop.reserved(b)), (2, 2));
    assert_eq!(shop.db.int(&format!("SELECT COUNT(*) FROM holds WHERE state = 'held' AND cart_id = '{cart_id}'")), 2);
    assert_eq!(view.discounts.applied.iter().find(|x| x.promotion_id == id).map(|x| x.amount.minor()), Some(2 * ((price_of(&shop, a) + price_of(&shop, b)) / 10)), "two sets");

    // The order keeps the bundle: its redemption (name and rule) and each line's share.
    let submission = Submission { request: request("an@example.vn"), idempotency_key: "b1".into(), locale: Locale::Vi, account: None, client_ip: None, expected_total: None, fingerprint: None };
    let placed = block_on(place_order(&shop.at(&cart_id, NOW + 2), &mut cart, &submission)).unwrap();
    let order = placed.order.id;
    assert_eq!(shop.db.text(&format!("SELECT name_vi || '|' || json_extract(benefit, '$.type') FROM promotion_redemptions WHERE order_id = '{order}' AND promotion_id = {id}")), "Mua kèm giảm 10%|bundle_percent");
    assert_eq!(shop.db.int(&format!("SELECT COUNT(*) FROM order_lines WHERE order_id = '{order}' AND discount > 0 AND discounts LIKE '%\"promotion_id\":{id}%'")), 2);
}

#[test]
fn add_all_holds_nothing_when_one_item_is_short_and_names_it() {
    let shop = Shop::demo();
    let ps = products(&shop, 2);
    bundle(&shop, &[ps[0].0, ps[1].0], &[]);
    let (a, b) = (ps[0].1, ps[1].1);
    shop.db.exec(&format!("UPDATE variants SET on_hand = 1 WHERE id = {b}"));
    let cart_id = Shop::cart_id(2);
    // The cart already holds one of `a`; the bundle wants a second `a` and two `b` in all.
    let mut cart = Cart::default();
    block_on(set_quantity(&shop.at(&cart_id, NOW), &mut cart, a, 1, true)).unwrap();
    block_on(set_quantity(&shop.at(&cart_id, NOW), &mut cart, b, 1, true)).unwrap();
    let before = cart.clone();
    let holds = shop.db.text("SELECT group_concat(id || state || quantity) FROM holds");
    let refused = block_on(add_all(&shop.at(&cart_id, NOW + 1), &mut cart, &[a, b])).unwrap_err();
    let CartError::ItemSoldOut { item, cart: shown } = refused else { panic!("{refused:?}") };
    assert_eq!((item.variant_id, item.available), (b, 1), "names the short item and what the cart can have of it");
    assert!(!item.name_vi.is_empty() && !item.name_en.is_empty());
    assert_eq!(cart.lines, before.lines, "the cart is unchanged");
    assert_eq!(shown.lines.iter().map(|l| (l.variant_id, l.quantity)).collect::<Vec<_>>(), vec![(a, 1), (b, 1)]);
    assert_eq!((shop.reserved(a), shop.reserved(b)), (1, 1), "nothing more held, nothing given back");
    assert_eq!(shop.db.text("SELECT group_concat(id || state || quantity) FROM holds"), holds, "every hold as it was");
}

#[test]
fn two_carts_racing_for_the_last_unit_of_a_bundle_item_one_gets_the_bundle_and_the_other_nothing() {
    let shop = Shop::demo();
    let ps = products(&shop, 3);
    bundle(&shop, &[ps[0].0, ps[1].0, ps[2].0], &[]);
    let items = [ps[0].1, ps[1].1, ps[2].1];
    // The last unit of the second item; plenty of the others.
    shop.db.exec(&format!("UPDATE variants SET on_hand = 1 WHERE id = {}", items[1]));
    let (x, y) = (Shop::cart_id(3), Shop::cart_id(4));
    let (mut cart_x, mut cart_y) = (Cart::default(), Cart::default());
    let (cx_x, cx_y) = (shop.at(&x, NOW), shop.at(&y, NOW));
    let (first, second) = block_on(async { futures::join!(add_all(&cx_x, &mut cart_x, &items), add_all(&cx_y, &mut cart_y, &items)) });
    let (won, lost, loser) = match (first, second) {
        (Ok(won), Err(lost)) => (won, lost, &cart_y),
        (Err(lost), Ok(won)) => (won, lost, &cart_x),
        (first, second) => panic!("exactly one cart must win: {first:?} / {second:?}"),
    };
    assert_eq!(won.lines.len(), 3);
    let CartError::ItemSoldOut { item, cart } = lost else { panic!("{lost:?}") };
    assert_eq!((item.variant_id, item.available), (items[1], 0));
    assert!(cart.lines.is_empty() && loser.lines.is_empty(), "the loser's cart is unchanged");
    for v in items {
        assert_eq!(shop.reserved(v), 1, "one unit of each held, by the winner only");
        assert!(shop.reserved(v) <= shop.on_hand(v), "no oversell");
    }
    assert_eq!(shop.db.int("SELECT COUNT(*) FROM holds WHERE state = 'held'"), 3);
}
