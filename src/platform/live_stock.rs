//! A product's stock as D1 has it now, remembered for at most `STOCK_FRESH_MS` per isolate: the
//! part of a product page's cache key that follows carts and orders (`app::availability`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use worker::Env;

use super::d1::D1;
use crate::app::availability::{self, Availability};

/// How old a remembered snapshot may be. Stock shown on a page (and the API's `available`) agrees
/// with the cart within this plus one D1 read: the bound is two seconds.
pub const STOCK_FRESH_MS: f64 = 1_000.0;
/// Products remembered per isolate; past this the memory starts again (a few bytes each).
const MAX_PRODUCTS: usize = 512;

thread_local! {
    static STOCK: RefCell<HashMap<String, (f64, Rc<Availability>)>> = RefCell::new(HashMap::new());
}

/// The stock of the active product `slug`, or `None` when D1 cannot be read (the page is then keyed
/// and rendered as before, by its catalog version alone; the failure is logged).
pub async fn of_product(env: &Env, slug: &str) -> Option<Rc<Availability>> {
    let now = worker::Date::now().as_millis() as f64;
    let kept = STOCK.with(|s| s.borrow().get(slug).filter(|(at, _)| (0.0..STOCK_FRESH_MS).contains(&(now - at))).map(|(_, a)| a.clone()));
    if kept.is_some() {
        return kept;
    }
    let read = match D1::open(env) {
        Ok(db) => availability::of_product(&db, slug).await.map_err(|e| e.to_string()),
        Err(e) => Err(format!("{e:?}")),
    };
    match read {
        Ok(stock) => {
            let stock = Rc::new(stock);
            STOCK.with(|s| {
                let mut s = s.borrow_mut();
                if s.len() >= MAX_PRODUCTS && !s.contains_key(slug) {
                    s.clear();
                }
                s.insert(slug.to_string(), (now, stock.clone()));
            });
            Some(stock)
        }
        Err(e) => {
            worker::console_error!("live stock of {slug}: {e}");
            None
        }
    }
}

/// `path_and_query` with the stock part of the key added (`key` from `Availability::page_key` or
/// `exact_key`), as the edge cache's key: a parameter no route reads.
pub fn keyed(path_and_query: &str, key: &str) -> String {
    let sep = if path_and_query.contains('?') { '&' } else { '?' };
    format!("{path_and_query}{sep}_stock={key}")
}
